// Bus benchmark: request/reply through @steward/messaging (BusClient → Nest microservice with
// @RpcHandler) against a bare @nats-io/transport-node request, on the same real nats-server.
// Prints figures and writes them to results/bus.json; it never judges wall-clock time, and
// exits non-zero only when something is broken (a request fails, a process does not start).
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
const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 5);
// Both responders need ~3,000 requests after start before their latency settles (JIT, startup
// garbage); the 64 KiB phase follows the 100 B one in the same process, so it needs less.
const SIZES = [
  { label: '100 B', bytes: 100, warmup: 3_000, count: 5_000 },
  { label: '64 KiB', bytes: 64 * 1024, warmup: 1_000, count: 2_000 },
] as const;
type SizeLabel = (typeof SIZES)[number]['label'];
const VARIANTS: readonly ResponderMode[] = ['bare', 'library'];
const FIRST_ANSWER_DEADLINE_MS = 10_000;
const RESULTS_FILE = fileURLToPath(new URL('../results/bus.json', import.meta.url));

interface Phase {
  readonly round: number;
  readonly variant: ResponderMode;
  readonly size: SizeLabel;
  readonly latency: LatencySummary;
  readonly requesterRssBytes: number;
}

/** One request, answered and checked; resolves to the reply's payload length. */
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

async function measure(call: Call, expectedLength: number, warmup: number, count: number): Promise<Float64Array> {
  for (let i = 0; i < warmup; i++) check(await call(), expectedLength);
  globalThis.gc?.();
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
  if (length !== expected) throw new Error(`echo came back with ${length} bytes of payload, sent ${expected}`);
}

const percent = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;
const ms = (value: number): string => value.toFixed(3);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function medianOf(phases: readonly Phase[], pick: (phase: Phase) => number): number {
  return median(phases.map(pick));
}

/** lib/bare for one statistic, paired within each round (both ran back to back), then the median. */
function pairedRatio(phases: readonly Phase[], size: SizeLabel, pick: (latency: LatencySummary) => number): number {
  return median(pairedRatios(phases, size, pick));
}

function pairedRatios(
  phases: readonly Phase[],
  size: SizeLabel,
  pick: (latency: LatencySummary) => number,
): number[] {
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const bare = phases.find((p) => p.round === round && p.size === size && p.variant === 'bare');
    const lib = phases.find((p) => p.round === round && p.size === size && p.variant === 'library');
    if (bare && lib) ratios.push(pick(lib.latency) / pick(bare.latency));
  }
  return ratios;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
}

async function main(): Promise<void> {
  let nats: RunningNatsServer | undefined;
  let responder: Responder | undefined;
  const connections: Array<{ close(): Promise<void> }> = [];
  const cleanup = async (): Promise<void> => {
    responder?.kill();
    await Promise.allSettled(connections.map((c) => c.close()));
    await nats?.stop();
  };
  process.once('exit', () => {
    responder?.kill();
    nats?.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    nats = await startNatsServer();
    const callerCredentials = nats.credentials('orchestrator');
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

    console.log(
      `bus request/reply on 127.0.0.1: ${nats.version}, node ${process.version}, ${cpus().length} cpu(s); ` +
        `${ROUNDS} round(s), order alternating; per round and variant ` +
        SIZES.map((s) => `${s.warmup} warm-up + ${s.count} measured × ${s.label}`).join(', ') +
        ', sequential',
    );

    const phases: Phase[] = [];
    const responderRss: Record<ResponderMode, number[]> = { bare: [], library: [] };
    const payloads = new Map(SIZES.map((size) => [size.label, payloadOf(size.bytes)]));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        responder = await Responder.start(variant, nats.credentials('fs-service'));
        for (const size of SIZES) {
          const payload = payloads.get(size.label) ?? '';
          const call = callFor(variant, payload, bare, bus);
          await untilAnswered(call);
          const latency = summarize(await measure(call, size.bytes, size.warmup, size.count));
          phases.push({ round, variant, size: size.label, latency, requesterRssBytes: process.memoryUsage.rss() });
        }
        responderRss[variant].push((await responder.stop()).rssBytes);
        responder = undefined;
        const last = phases.slice(-SIZES.length);
        console.log(
          `  round ${round} ${variant.padEnd(7)} ` +
            last.map((p) => `${p.size}: p50 ${ms(p.latency.p50Ms)} p99 ${ms(p.latency.p99Ms)} ms`).join('  '),
        );
      }
    }

    const widths = [7, 9, 8, 8, 8, 14];
    console.log('');
    console.log(pad(['payload', 'variant', 'p50 ms', 'p99 ms', 'mean ms', 'requester RSS'], widths));
    const results = SIZES.map((size) => {
      const of = (variant: ResponderMode): Phase[] =>
        phases.filter((p) => p.size === size.label && p.variant === variant);
      const figures = (variant: ResponderMode) => ({
        p50Ms: medianOf(of(variant), (p) => p.latency.p50Ms),
        p99Ms: medianOf(of(variant), (p) => p.latency.p99Ms),
        meanMs: medianOf(of(variant), (p) => p.latency.meanMs),
        requesterRssBytes: medianOf(of(variant), (p) => p.requesterRssBytes),
      });
      const bareFigures = figures('bare');
      const libraryFigures = figures('library');
      const ratio = {
        p50: pairedRatio(phases, size.label, (l) => l.p50Ms),
        p99: pairedRatio(phases, size.label, (l) => l.p99Ms),
        mean: pairedRatio(phases, size.label, (l) => l.meanMs),
      };
      for (const [variant, f] of [
        ['bare', bareFigures],
        ['library', libraryFigures],
      ] as const) {
        console.log(
          pad([size.label, variant, ms(f.p50Ms), ms(f.p99Ms), ms(f.meanMs), mb(f.requesterRssBytes)], widths),
        );
      }
      console.log(pad([size.label, 'lib/bare', percent(ratio.p50), percent(ratio.p99), percent(ratio.mean), ''], widths));
      return {
        payload: size.label,
        bytes: size.bytes,
        requests: size.count,
        bare: bareFigures,
        library: libraryFigures,
        ratio,
        p50RatioPerRound: pairedRatios(phases, size.label, (l) => l.p50Ms),
        rounds: phases
          .filter((p) => p.size === size.label)
          .map((p) => ({ round: p.round, variant: p.variant, ...p.latency })),
      };
    });
    const responderRssMedian = {
      bare: median(responderRss.bare),
      library: median(responderRss.library),
    };
    console.log(
      `responder RSS at stop: bare ${mb(responderRssMedian.bare)}, library ${mb(responderRssMedian.library)}` +
        '; ratios are the median of per-round lib/bare pairs',
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
            natsServer: nats.version,
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
          },
          settings: { rounds: ROUNDS, sizes: SIZES, statistic: 'median over rounds; ratios paired within a round' },
          targetP50Overhead: TARGET_P50_OVERHEAD,
          results,
          responderRssBytes: responderRssMedian,
        },
        null,
        2,
      )}\n`,
    );

    const overheads = results.map((r) => ({ label: r.payload, overhead: r.ratio.p50 - 1 }));
    const met = overheads.every((o) => o.overhead <= TARGET_P50_OVERHEAD);
    const signed = (o: number): string => `${o >= 0 ? '+' : ''}${(o * 100).toFixed(0)}%`;
    console.log(`figures written to ${RESULTS_FILE}`);
    console.log(
      `bus: library adds ${overheads
        .map((o, i) => `${signed(o.overhead)}${i === 0 ? ' at p50' : ''} (${o.label})`)
        .join(', ')}; target ≤ ${TARGET_P50_OVERHEAD * 100}%${met ? '' : ' (over target)'}`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(`bus benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
