// Bus benchmark: request/reply through @steward/messaging (BusClient → Nest microservice with
// @RpcHandler) against a bare @nats-io/transport-node request, on the same real nats-server.
// Prints figures and writes them to results/bus.json; it never judges wall-clock time, and
// exits non-zero only when something is broken (a request fails, a process does not start).
//
// BENCH_ROUNDS=<n> changes the number of rounds. BENCH_TELEMETRY=1 starts OpenTelemetry in the
// requester and the library's responder as production does (spans, trace headers, metrics), and
// writes results/bus-telemetry.json instead.
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from '@steward/contracts';
import { BusClient, connectBus } from '@steward/messaging';
import { BARE_SUBJECT, BARE_TIMEOUT_MS, echoRpc } from './support/echo-rpc.js';
import { startNatsServer, type RunningNatsServer } from './support/nats-server.js';
import { Responder } from './support/responder.js';
import type { ResponderMode } from './support/responder-protocol.js';
import { median, summarize, type LatencySummary } from './support/stats.js';

const TARGET_P50_OVERHEAD = 0.3;
// Many short rounds, each variant in turn: on 2 shared cores the latency of both moves by 2-3x
// over seconds (where the scheduler puts the three processes), so pairs close in time compare best.
// `taskset -c 0 npm run bench` keeps every process on one CPU: no scheduling effects, only CPU cost.
const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 12);
const TELEMETRY = process.env.BENCH_TELEMETRY === '1';
const SIZES = [
  { label: '100 B', bytes: 100, warmup: 1_500, count: 2_000 },
  { label: '64 KiB', bytes: 64 * 1024, warmup: 300, count: 500 },
] as const;
type SizeLabel = (typeof SIZES)[number]['label'];
/**
 * Before the first round each responder listens twice with this many requests per size: a fresh
 * process needs ~3,000 before its latency settles, and a re-created Nest app another ~2,000.
 */
const SETTLE_CYCLES = 2;
const SETTLE_REQUESTS: Readonly<Record<SizeLabel, number>> = { '100 B': 3_000, '64 KiB': 300 };
const VARIANTS: readonly ResponderMode[] = ['bare', 'library'];
const FIRST_ANSWER_DEADLINE_MS = 10_000;
const RESULTS_FILE = fileURLToPath(
  new URL(TELEMETRY ? '../results/bus-telemetry.json' : '../results/bus.json', import.meta.url),
);

interface Phase {
  readonly round: number;
  readonly variant: ResponderMode;
  readonly size: SizeLabel;
  readonly latency: LatencySummary;
  readonly requesterCpuMicrosPerRequest: number;
  readonly responderCpuMicrosPerRequest: number;
}

/** One request, answered; resolves to the reply's payload length so it can be checked. */
type Call = () => Promise<number>;

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
}

/** Printable ASCII without characters JSON must escape, so both sides move exactly `bytes` of payload. */
function payloadOf(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  let seed = 0x2545f491;
  let text = '';
  for (let i = 0; i < bytes; i++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    text += alphabet[seed % alphabet.length];
  }
  return text;
}

function callFor(variant: ResponderMode, payload: string, bare: NatsConnection, bus: BusClient): Call {
  if (variant === 'bare') {
    const bytes = new TextEncoder().encode(payload);
    return async () => (await bare.request(BARE_SUBJECT, bytes, { timeout: BARE_TIMEOUT_MS })).data.length;
  }
  const input = { payload };
  return async () => (await bus.request(echoRpc, input)).payload.length;
}

/** The responder's subscription may reach the server a moment after it reports ready. */
async function untilAnswered(call: Call): Promise<void> {
  const deadline = Date.now() + FIRST_ANSWER_DEADLINE_MS;
  for (;;) {
    try {
      await call();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function repeat(call: Call, expectedLength: number, times: number): Promise<void> {
  for (let i = 0; i < times; i++) check(await call(), expectedLength);
}

async function measure(call: Call, expectedLength: number, count: number): Promise<Float64Array> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const length = await call();
    samples[i] = Number(process.hrtime.bigint() - started) / 1e6;
    check(length, expectedLength);
  }
  return samples;
}

function check(length: number, expected: number): void {
  if (length !== expected)
    throw new Error(`echo came back with ${length} bytes of payload, sent ${expected}`);
}

const percent = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(0)}%`;
const ms = (value: number): string => value.toFixed(3);
const micros = (value: number): string => value.toFixed(0);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** lib/bare of one figure, paired within each round (both ran back to back), then the median. */
function pairedRatios(phases: readonly Phase[], size: SizeLabel, pick: (phase: Phase) => number): number[] {
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const bare = phases.find((p) => p.round === round && p.size === size && p.variant === 'bare');
    const lib = phases.find((p) => p.round === round && p.size === size && p.variant === 'library');
    if (bare && lib) ratios.push(pick(lib) / pick(bare));
  }
  return ratios;
}

function row(cells: readonly string[]): string {
  const widths = [7, 9, 8, 8, 8, 14, 14];
  return cells
    .map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

async function main(): Promise<void> {
  let nats: RunningNatsServer | undefined;
  const responders: Responder[] = [];
  const connections: Array<{ close(): Promise<void> }> = [];
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(responders.map((r) => r.stop()));
    await Promise.allSettled(connections.map((c) => c.close()));
    await nats?.stop();
  };
  process.once('exit', () => {
    for (const responder of responders) responder.kill();
    nats?.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    if (TELEMETRY) {
      const { startTelemetry } = await import('@steward/telemetry');
      startTelemetry({ service: 'orchestrator', version: 'bench', metricsPort: 0 });
    }
    const server = await startNatsServer();
    nats = server;
    const callerCredentials = server.credentials('orchestrator');
    const bare = await connect({
      servers: callerCredentials.servers,
      user: callerCredentials.user,
      pass: callerCredentials.pass,
      inboxPrefix: inboxPrefix('orchestrator'),
      name: `orchestrator:bench-bare:${process.pid}`,
    });
    connections.push({ close: () => bare.drain() });
    const bus = new BusClient(await connectBus('orchestrator', callerCredentials), 'orchestrator');
    connections.push(bus);
    const responder = Object.fromEntries(
      VARIANTS.map((variant) => {
        const spawned = Responder.spawn(variant, server.credentials('fs-service'), { telemetry: TELEMETRY });
        responders.push(spawned);
        return [variant, spawned];
      }),
    ) as Record<ResponderMode, Responder>;

    console.log(
      `bus request/reply on 127.0.0.1: nats-server ${server.version}, node ${process.version}, ${cpus().length} cpu(s), ` +
        `telemetry ${TELEMETRY ? 'ON in requester and library responder' : 'off (OpenTelemetry API without SDK)'}\n` +
        `${ROUNDS} rounds, bare and library in turn (order alternating); per round and variant ` +
        SIZES.map((s) => `${s.warmup} warm-up + ${s.count} measured × ${s.label}`).join(', ') +
        `; each responder settled first (${SETTLE_CYCLES} × ` +
        SIZES.map((s) => `${SETTLE_REQUESTS[s.label]} × ${s.label}`).join(' + ') +
        ')',
    );

    const payloads = new Map(SIZES.map((size) => [size.label, payloadOf(size.bytes)]));
    const calls = (variant: ResponderMode, size: SizeLabel): Call =>
      callFor(variant, payloads.get(size) ?? '', bare, bus);

    for (let cycle = 0; cycle < SETTLE_CYCLES; cycle++) {
      for (const variant of VARIANTS) {
        await responder[variant].listen();
        for (const size of SIZES) {
          const call = calls(variant, size.label);
          await untilAnswered(call);
          await repeat(call, size.bytes, SETTLE_REQUESTS[size.label]);
        }
        await responder[variant].unlisten();
      }
    }

    const phases: Phase[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
      // A pair is one payload size, bare and library back to back, so both see the same machine.
      for (const size of SIZES) {
        for (const variant of order) {
          await responder[variant].listen();
          const call = calls(variant, size.label);
          await untilAnswered(call);
          await repeat(call, size.bytes, size.warmup);
          globalThis.gc?.();
          const responderBefore = await responder[variant].usage();
          const requesterBefore = process.cpuUsage();
          const samples = await measure(call, size.bytes, size.count);
          const requesterCpu = process.cpuUsage(requesterBefore);
          const responderAfter = await responder[variant].usage();
          await responder[variant].unlisten();
          phases.push({
            round,
            variant,
            size: size.label,
            latency: summarize(samples),
            requesterCpuMicrosPerRequest: (requesterCpu.user + requesterCpu.system) / size.count,
            responderCpuMicrosPerRequest: (responderAfter.cpuMicros - responderBefore.cpuMicros) / size.count,
          });
        }
      }
      const p50Of = (size: SizeLabel, variant: ResponderMode): number =>
        phases.find((p) => p.round === round && p.size === size && p.variant === variant)?.latency.p50Ms ??
        Number.NaN;
      console.log(
        `  round ${String(round).padStart(2)}: ` +
          SIZES.map((size) => {
            const [bareP50, libP50] = [p50Of(size.label, 'bare'), p50Of(size.label, 'library')];
            return `${size.label} p50 bare ${ms(bareP50)} lib ${ms(libP50)} (${percent(libP50 / bareP50)})`;
          }).join(' | '),
      );
    }

    console.log('');
    console.log(
      row(['payload', 'variant', 'p50 ms', 'p99 ms', 'mean ms', 'req CPU µs/op', 'resp CPU µs/op']),
    );
    const results = SIZES.map((size) => {
      const of = (variant: ResponderMode): Phase[] =>
        phases.filter((p) => p.size === size.label && p.variant === variant);
      const figures = (variant: ResponderMode) => ({
        p50Ms: median(of(variant).map((p) => p.latency.p50Ms)),
        p99Ms: median(of(variant).map((p) => p.latency.p99Ms)),
        meanMs: median(of(variant).map((p) => p.latency.meanMs)),
        requesterCpuMicrosPerRequest: median(of(variant).map((p) => p.requesterCpuMicrosPerRequest)),
        responderCpuMicrosPerRequest: median(of(variant).map((p) => p.responderCpuMicrosPerRequest)),
      });
      const bareFigures = figures('bare');
      const libraryFigures = figures('library');
      const p50PerRound = pairedRatios(phases, size.label, (p) => p.latency.p50Ms);
      const ratio = {
        p50: median(p50PerRound),
        p99: median(pairedRatios(phases, size.label, (p) => p.latency.p99Ms)),
        mean: median(pairedRatios(phases, size.label, (p) => p.latency.meanMs)),
        requesterCpu: median(pairedRatios(phases, size.label, (p) => p.requesterCpuMicrosPerRequest)),
        responderCpu: median(pairedRatios(phases, size.label, (p) => p.responderCpuMicrosPerRequest)),
      };
      for (const [variant, f] of [
        ['bare', bareFigures],
        ['library', libraryFigures],
      ] as const) {
        console.log(
          row([
            size.label,
            variant,
            ms(f.p50Ms),
            ms(f.p99Ms),
            ms(f.meanMs),
            micros(f.requesterCpuMicrosPerRequest),
            micros(f.responderCpuMicrosPerRequest),
          ]),
        );
      }
      console.log(
        row([
          size.label,
          'lib/bare',
          percent(ratio.p50),
          percent(ratio.p99),
          percent(ratio.mean),
          percent(ratio.requesterCpu),
          percent(ratio.responderCpu),
        ]),
      );
      return {
        payload: size.label,
        bytes: size.bytes,
        warmup: size.warmup,
        requests: size.count,
        bare: bareFigures,
        library: libraryFigures,
        addedP50Ms: libraryFigures.p50Ms - bareFigures.p50Ms,
        ratio,
        p50RatioPerRound: p50PerRound,
        rounds: phases
          .filter((p) => p.size === size.label)
          .map((p) => ({
            round: p.round,
            variant: p.variant,
            ...p.latency,
            requesterCpuMicrosPerRequest: p.requesterCpuMicrosPerRequest,
            responderCpuMicrosPerRequest: p.responderCpuMicrosPerRequest,
          })),
      };
    });

    const requesterRssBytes = process.memoryUsage.rss();
    const responderRssBytes = {
      bare: (await responder.bare.usage()).rssBytes,
      library: (await responder.library.usage()).rssBytes,
    };
    const spread = results
      .map((r) => {
        const sorted = [...r.p50RatioPerRound].sort((a, b) => a - b);
        return `${r.payload} ${percent(sorted[0] ?? Number.NaN)} … ${percent(sorted[sorted.length - 1] ?? Number.NaN)}`;
      })
      .join(', ');
    console.log(
      `figures: median over rounds; lib/bare: median of per-round ratios (p50 ratio ranged ${spread})\n` +
        `RSS: requester ${mb(requesterRssBytes)} (both clients), responder bare ${mb(responderRssBytes.bare)}, ` +
        `library ${mb(responderRssBytes.library)}`,
    );

    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          benchmark: 'bus',
          finishedAt: new Date().toISOString(),
          environment: {
            node: process.version,
            natsServer: server.version,
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
          },
          settings: {
            rounds: ROUNDS,
            settle: { cycles: SETTLE_CYCLES, requests: SETTLE_REQUESTS },
            telemetry: TELEMETRY,
            statistic: 'median over rounds; ratios paired within a round',
          },
          targetP50Overhead: TARGET_P50_OVERHEAD,
          results,
          requesterRssBytes,
          responderRssBytes,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`figures written to ${RESULTS_FILE}`);

    const overheads = results.map((r) => ({
      label: r.payload,
      overhead: r.ratio.p50 - 1,
      addedMs: r.addedP50Ms,
    }));
    const met = overheads.every((o) => o.overhead <= TARGET_P50_OVERHEAD);
    console.log(
      `bus${TELEMETRY ? ' (telemetry on)' : ''}: library adds ${overheads
        .map(
          (o, i) =>
            `${o.overhead >= 0 ? '+' : ''}${(o.overhead * 100).toFixed(0)}%${i === 0 ? ' at p50' : ''} ` +
            `(${o.label}, ${o.addedMs >= 0 ? '+' : ''}${(o.addedMs * 1000).toFixed(0)} µs)`,
        )
        .join(', ')}; target ≤ ${TARGET_P50_OVERHEAD * 100}%${met ? '' : ' (over target)'}`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(
    `bus benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
