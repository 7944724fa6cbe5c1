// Read benchmark: read_file of one small file through the bus (orchestrator's BusClient → the real
// fs-service process, `fs.file.read` for a task whose root is a tree of 50,000 files) against
//   'bare': the floor, fs.readFile behind a bare @nats-io/transport-node subscription answering with
//           the file's bytes, on the same nats-server (support/fs-read-bare-responder.ts), and
//   'mcp':  the official MCP filesystem server over stdio, through the MCP SDK's client, calling its
//           read tool with the tree's root as its allowed directory.
// Each variant runs in its own process; rounds interleave them (order rotating) so all three see the
// same machine. Prints figures and writes them to results/fs-read.json; it never judges wall-clock
// time, and exits non-zero only when something is broken (a server does not start, a read fails or
// returns other text than the file holds).
//
// BENCH_ROUNDS=<n> changes the number of rounds.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { fsFileRead, fsTaskOpen, inboxPrefix } from '@steward/contracts';
import { BusClient, connectBus } from '@steward/messaging';
import { BARE_READ_SERVICE, BARE_READ_SUBJECT } from './support/fs-read-bare-protocol.js';
import { processCpuMicros, processMemory, type ProcessMemory } from './support/fs-read-proc.js';
import {
  startBareReader,
  startFsService,
  startMcpFilesystem,
  type McpFilesystem,
  type StartedServer,
} from './support/fs-read-servers.js';
import { ensureReadTree, type SmallFile } from './support/fs-read-tree.js';
import { startNatsServer, type RunningNatsServer } from './support/nats-server.js';
import { median, summarize, type LatencySummary } from './support/stats.js';

const VARIANTS = ['steward', 'bare', 'mcp'] as const;
type Variant = (typeof VARIANTS)[number];
const DESCRIPTIONS: Readonly<Record<Variant, string>> = {
  steward: 'BusClient → fs-service fs.file.read',
  bare: 'bare NATS request → fs.readFile → bytes',
  mcp: 'MCP SDK client → server-filesystem (stdio)',
};
/** A multiple of the variants' count: the order rotates, so each runs in each place as often. */
const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 9);
const WARMUP = 200;
const COUNT = 2_000;
/** Before the first round every server answers this many reads: fresh processes settle slowly. */
const SETTLE_READS = 3_000;
/** The in-process fs.readFile reference, measured at the start of each round. */
const IN_PROCESS_COUNT = 1_000;
const COMPARISONS = {
  'steward/mcp': { of: 'steward', against: 'mcp' },
  'steward/bare': { of: 'steward', against: 'bare' },
  'mcp/bare': { of: 'mcp', against: 'bare' },
} as const satisfies Record<string, { of: Variant; against: Variant }>;
type ComparisonLabel = keyof typeof COMPARISONS;
const COMPARISON_LABELS = Object.keys(COMPARISONS) as ComparisonLabel[];
/** The target: steward's p50 below the MCP server's. */
const TARGET = 'steward/mcp' satisfies ComparisonLabel;
const TASK_ID = 'bench-fs-read';
const BARE_TIMEOUT_MS = fsFileRead.timeoutMs;
const FIRST_ANSWER_DEADLINE_MS = 10_000;
const RESULTS_FILE = fileURLToPath(new URL('../results/fs-read.json', import.meta.url));

/** One read, answered; resolves to the text that came back. */
type Read = () => Promise<string>;

interface Phase {
  readonly round: number;
  readonly variant: Variant;
  readonly latency: LatencySummary;
  readonly clientCpuMicrosPerRead: number;
  /** At /proc clock-tick resolution; NaN where /proc cannot be read. */
  readonly serverCpuMicrosPerRead: number;
}

const FIGURES = {
  p50Ms: { of: (p: Phase) => p.latency.p50Ms, format: (v: number) => v.toFixed(3) },
  p99Ms: { of: (p: Phase) => p.latency.p99Ms, format: (v: number) => v.toFixed(3) },
  meanMs: { of: (p: Phase) => p.latency.meanMs, format: (v: number) => v.toFixed(3) },
  clientCpuMicrosPerRead: { of: (p: Phase) => p.clientCpuMicrosPerRead, format: (v: number) => v.toFixed(0) },
  serverCpuMicrosPerRead: { of: (p: Phase) => p.serverCpuMicrosPerRead, format: (v: number) => v.toFixed(0) },
} as const;
type FigureName = keyof typeof FIGURES;
const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[];

function record<K extends string, V>(keys: readonly K[], value: (key: K) => V): Record<K, V> {
  return Object.fromEntries(keys.map((key) => [key, value(key)])) as Record<K, V>;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bareRead(nc: NatsConnection, path: string): Read {
  const request = encoder.encode(path);
  return async () =>
    decoder.decode((await nc.request(BARE_READ_SUBJECT, request, { timeout: BARE_TIMEOUT_MS })).data);
}

function stewardRead(bus: BusClient, path: string): Read {
  const input = { taskId: TASK_ID, path };
  return async () => (await bus.request(fsFileRead, input)).content;
}

/** The text of a read tool's answer: its first content block, which must be text. */
function mcpText(result: unknown): string {
  const { content, isError } = result as { content?: unknown; isError?: unknown };
  const first: unknown = Array.isArray(content) ? content[0] : undefined;
  const block = first as { type?: unknown; text?: unknown } | undefined;
  if (block?.type !== 'text' || typeof block.text !== 'string')
    throw new Error(
      `the MCP read tool answered without a text block: ${JSON.stringify(result).slice(0, 300)}`,
    );
  if (isError === true) throw new Error(`the MCP read tool failed: ${block.text}`);
  return block.text;
}

function mcpRead(mcp: McpFilesystem, path: string): Read {
  const params = { name: mcp.readTool, arguments: { path } };
  return async () => mcpText(await mcp.client.callTool(params));
}

/**
 * fs-service returns the lines without the file's final newline (and the model's numbered `output`
 * beside them); the others return the file byte for byte. Both must be the file's text.
 */
function expectedText(variant: Variant, file: SmallFile): string {
  return variant === 'steward' ? file.text.replace(/\n$/, '') : file.text;
}

/** The server's subscription or handler may be in place a moment after it reports ready. */
async function untilAnswered(read: Read): Promise<string> {
  const deadline = Date.now() + FIRST_ANSWER_DEADLINE_MS;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Every answer's length is checked; its text was compared in full once, before the rounds. */
function check(variant: Variant, text: string, expectedLength: number): void {
  if (text.length !== expectedLength)
    throw new Error(`${variant} returned ${text.length} characters, the file has ${expectedLength}`);
}

async function repeat(variant: Variant, read: Read, expectedLength: number, times: number): Promise<void> {
  for (let i = 0; i < times; i++) check(variant, await read(), expectedLength);
}

async function measure(
  variant: Variant,
  read: Read,
  expectedLength: number,
  count: number,
): Promise<Float64Array> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const text = await read();
    samples[i] = Number(process.hrtime.bigint() - started) / 1e6;
    check(variant, text, expectedLength);
  }
  return samples;
}

async function measureInProcess(path: string, count: number): Promise<LatencySummary> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await readFile(path, 'utf8');
    samples[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return summarize(samples);
}

function pairedRatios(
  phases: readonly Phase[],
  label: ComparisonLabel,
  pick: (p: Phase) => number,
): number[] {
  const { of, against } = COMPARISONS[label];
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const base = phases.find((p) => p.round === round && p.variant === against);
    const measured = phases.find((p) => p.round === round && p.variant === of);
    if (base && measured) ratios.push(pick(measured) / pick(base));
  }
  return ratios;
}

const times = (ratio: number): string => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a');
const mb = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const memory = (m: ProcessMemory | undefined): string =>
  m === undefined ? 'n/a' : `${mb(m.rssBytes)} (peak ${mb(m.peakRssBytes)})`;

function row(cells: readonly string[]): string {
  const widths = [14, 8, 8, 8, 14, 14];
  return cells
    .map((cell, i) => (i < 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

async function main(): Promise<void> {
  let nats: RunningNatsServer | undefined;
  const servers: StartedServer[] = [];
  const connections: Array<{ close(): Promise<void> }> = [];
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(connections.map((c) => c.close()));
    await Promise.allSettled(servers.map((s) => s.stop()));
    await nats?.stop();
  };
  process.once('exit', () => {
    for (const server of servers) server.killNow();
    nats?.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const { tree, file } = ensureReadTree();
    console.log(
      `tree: ${tree.files.toLocaleString('en')} files, ${(tree.bytes / 1024 / 1024).toFixed(1)} MiB, at ${tree.root} ` +
        (tree.generatedMs === undefined
          ? '(cached)'
          : `(generated in ${(tree.generatedMs / 1000).toFixed(1)} s)`),
    );
    console.log(`file: ${file.path} (${file.bytes} bytes, ${file.lines} lines)`);

    const server = await startNatsServer();
    nats = server;
    const orchestrator = server.credentials('orchestrator');
    const bareClient = await connect({
      servers: orchestrator.servers,
      user: orchestrator.user,
      pass: orchestrator.pass,
      inboxPrefix: inboxPrefix('orchestrator'),
      name: `orchestrator:bench-fs-read-bare:${process.pid}`,
    });
    connections.push({ close: () => bareClient.drain() });
    const bus = new BusClient(await connectBus('orchestrator', orchestrator), 'orchestrator');
    connections.push(bus);

    const bare = await startBareReader(server.credentials(BARE_READ_SERVICE));
    servers.push(bare);
    const fsService = await startFsService(server.credentials('fs-service'));
    servers.push(fsService);
    const mcp = await startMcpFilesystem(tree.root);
    servers.push(mcp);
    const pids: Record<Variant, number> = { steward: fsService.pid, bare: bare.pid, mcp: mcp.pid };

    const openStarted = performance.now();
    const opened = await untilAnswered(async () => {
      const reply = await bus.request(fsTaskOpen, { taskId: TASK_ID, folders: [tree.root] });
      return reply.roots.map((root) => root.realPath).join(', ');
    });
    const taskOpenMs = performance.now() - openStarted;

    const reads: Record<Variant, Read> = {
      steward: stewardRead(bus, file.path),
      bare: bareRead(bareClient, file.path),
      mcp: mcpRead(mcp, file.path),
    };
    // The first answer of each, compared in full; the reply sizes show what each carries besides.
    const firstReply = {
      steward: JSON.stringify(await bus.request(fsFileRead, { taskId: TASK_ID, path: file.path })).length,
      bare: file.bytes,
      mcp: JSON.stringify(await mcp.client.callTool({ name: mcp.readTool, arguments: { path: file.path } }))
        .length,
    } satisfies Record<Variant, number>;
    const expectedLength = record(VARIANTS, (variant) => expectedText(variant, file).length);
    for (const variant of VARIANTS) {
      const text = await untilAnswered(reads[variant]);
      if (text !== expectedText(variant, file))
        throw new Error(`${variant} returned other text than the file holds:\n${text.slice(0, 300)}`);
    }

    console.log(
      `nats-server ${server.version}, node ${process.version}, ${cpus().length} cpu(s), ${cpus()[0]?.model ?? 'unknown'}\n` +
        `fs-service: started in ${fsService.startMs.toFixed(0)} ms, fs.task.open ${taskOpenMs.toFixed(1)} ms (root ${opened})\n` +
        `MCP filesystem server ${mcp.serverVersion}: started and listed its tools in ${mcp.startMs.toFixed(0)} ms, ` +
        `reading with ${mcp.readTool}\n` +
        `bare reader: started in ${bare.startMs.toFixed(0)} ms, as ${BARE_READ_SERVICE} on ${BARE_READ_SUBJECT}\n` +
        `replies: steward ≈ ${firstReply.steward} B of JSON (content + numbered output + fields), ` +
        `mcp ≈ ${firstReply.mcp} B (the text twice: content block and structuredContent), bare ${firstReply.bare} B (the file)\n` +
        `${ROUNDS} rounds, ${VARIANTS.join(', ')} in turn (order rotating); per round and variant ${WARMUP} warm-up + ` +
        `${COUNT} measured reads; each server settled first with ${SETTLE_READS} reads`,
    );

    for (const variant of VARIANTS)
      await repeat(variant, reads[variant], expectedLength[variant], SETTLE_READS);
    const memoryAfterSettle = record(VARIANTS, (variant) => processMemory(pids[variant]));

    const phases: Phase[] = [];
    const inProcess: LatencySummary[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      globalThis.gc?.();
      inProcess.push(await measureInProcess(file.path, IN_PROCESS_COUNT));
      const shift = (round - 1) % VARIANTS.length;
      const order = [...VARIANTS.slice(shift), ...VARIANTS.slice(0, shift)];
      for (const variant of order) {
        const read = reads[variant];
        await repeat(variant, read, expectedLength[variant], WARMUP);
        globalThis.gc?.();
        const serverBefore = processCpuMicros(pids[variant]) ?? Number.NaN;
        const clientBefore = process.cpuUsage();
        const samples = await measure(variant, read, expectedLength[variant], COUNT);
        const clientCpu = process.cpuUsage(clientBefore);
        const serverAfter = processCpuMicros(pids[variant]) ?? Number.NaN;
        phases.push({
          round,
          variant,
          latency: summarize(samples),
          clientCpuMicrosPerRead: (clientCpu.user + clientCpu.system) / COUNT,
          serverCpuMicrosPerRead: (serverAfter - serverBefore) / COUNT,
        });
      }
      const p50 = (variant: Variant): number =>
        phases.find((p) => p.round === round && p.variant === variant)?.latency.p50Ms ?? Number.NaN;
      console.log(
        `  round ${String(round).padStart(2)} p50 ms: ${VARIANTS.map((v) => `${v} ${p50(v).toFixed(3)}`).join(', ')}; ` +
          COMPARISON_LABELS.map((label) => {
            const { of, against } = COMPARISONS[label];
            return `${label} ${times(p50(of) / p50(against))}`;
          }).join(', '),
      );
    }

    const figures = record(VARIANTS, (variant) => {
      const ofVariant = phases.filter((p) => p.variant === variant);
      return record(FIGURE_NAMES, (name) => median(ofVariant.map(FIGURES[name].of)));
    });
    const comparisons = record(COMPARISON_LABELS, (label) => ({
      ...COMPARISONS[label],
      ratio: record(FIGURE_NAMES, (name) => median(pairedRatios(phases, label, FIGURES[name].of))),
      p50RatioPerRound: pairedRatios(phases, label, FIGURES.p50Ms.of),
    }));
    const inProcessFigures = {
      p50Ms: median(inProcess.map((s) => s.p50Ms)),
      p99Ms: median(inProcess.map((s) => s.p99Ms)),
      meanMs: median(inProcess.map((s) => s.meanMs)),
    };
    const memoryAtEnd = record(VARIANTS, (variant) => processMemory(pids[variant]));
    const benchRssBytes = process.memoryUsage.rss();

    console.log('');
    console.log(row(['variant', 'p50 ms', 'p99 ms', 'mean ms', 'client µs/read', 'server µs/read']));
    for (const variant of VARIANTS) {
      const f = figures[variant];
      console.log(row([variant, ...FIGURE_NAMES.map((name) => FIGURES[name].format(f[name]))]));
    }
    console.log(
      row([
        'fs.readFile',
        ...[inProcessFigures.p50Ms, inProcessFigures.p99Ms, inProcessFigures.meanMs].map((v) => v.toFixed(3)),
        '(in process)',
        '',
      ]),
    );
    for (const label of COMPARISON_LABELS) {
      const { ratio } = comparisons[label];
      console.log(row([label, ...FIGURE_NAMES.map((name) => times(ratio[name]))]));
    }
    const spread = COMPARISON_LABELS.map((label) => {
      const sorted = [...comparisons[label].p50RatioPerRound].sort((a, b) => a - b);
      return `${label} ${times(sorted[0] ?? Number.NaN)} … ${times(sorted[sorted.length - 1] ?? Number.NaN)}`;
    }).join(', ');
    console.log(
      `figures: median over rounds; ratios: median of per-round ratios (p50 ratio ranged ${spread}); ` +
        `server CPU at /proc clock-tick resolution\n` +
        `memory (RSS now, peak): fs-service ${memory(memoryAtEnd.steward)}, MCP server ${memory(memoryAtEnd.mcp)}, ` +
        `bare reader ${memory(memoryAtEnd.bare)}; this benchmark (all clients) ${mb(benchRssBytes)}\n` +
        `notes: steward's reply carries the file's lines twice (content, and the numbered output the model is ` +
        `shown), checks the path against the task's roots and opens it safely; the MCP server returns the raw ` +
        `text twice (content block and structuredContent) after checking the path against its allowed ` +
        `directory; the bare reader checks nothing and sends the file's bytes`,
    );

    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          benchmark: 'fs-read',
          finishedAt: new Date().toISOString(),
          environment: {
            node: process.version,
            natsServer: server.version,
            mcpFilesystemServer: mcp.serverVersion,
            mcpReadTool: mcp.readTool,
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
          },
          tree: { root: tree.root, files: tree.files, bytes: tree.bytes },
          file: { path: file.path, bytes: file.bytes, lines: file.lines },
          settings: {
            rounds: ROUNDS,
            warmup: WARMUP,
            readsPerPhase: COUNT,
            settleReads: SETTLE_READS,
            statistic: 'median over rounds; ratios paired within a round',
            variants: DESCRIPTIONS,
            comparisons: COMPARISONS,
            target: `${TARGET} p50 ratio < 1`,
          },
          startup: {
            fsServiceMs: fsService.startMs,
            fsTaskOpenMs: taskOpenMs,
            mcpServerMs: mcp.startMs,
            bareReaderMs: bare.startMs,
          },
          replyBytes: firstReply,
          figures,
          inProcessReadFile: inProcessFigures,
          comparisons,
          memory: { afterSettle: memoryAfterSettle, atEnd: memoryAtEnd, benchmarkRssBytes: benchRssBytes },
          rounds: phases.map((p) => ({
            round: p.round,
            variant: p.variant,
            ...p.latency,
            clientCpuMicrosPerRead: p.clientCpuMicrosPerRead,
            serverCpuMicrosPerRead: p.serverCpuMicrosPerRead,
          })),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`figures written to ${RESULTS_FILE}`);

    const target = comparisons[TARGET].ratio.p50Ms;
    console.log(
      `fs-read: steward p50 ${figures.steward.p50Ms.toFixed(3)} ms vs MCP filesystem server ` +
        `${figures.mcp.p50Ms.toFixed(3)} ms (${times(target)}), vs bare ${figures.bare.p50Ms.toFixed(3)} ms ` +
        `(${times(comparisons['steward/bare'].ratio.p50Ms)}); target: faster than the MCP server at p50` +
        (target < 1 ? '' : ' (missed)'),
    );
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(
    `fs-read benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
