// Bus benchmark: request/reply through @steward/messaging (BusClient → Nest microservice with
// @RpcHandler) against a bare @nats-io/transport-node request, on the same real nats-server. The
// bare request runs twice: echoing raw bytes ('bare', the target's baseline), and carrying the
// same body as plain JSON ('bare-json': what a hand-written JSON service pays). The library sends
// small bodies as JSON and long strings framed beside it (libs/messaging/src/body-codec.ts), so
// lib/bare-json shows what the library costs or saves against plain JSON.
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
import {
  BARE_JSON_SUBJECT,
  BARE_SUBJECT,
  BARE_TIMEOUT_MS,
  echoRpc,
  type EchoReply,
} from './support/echo-rpc.js';
import { startNatsServer, type RunningNatsServer } from './support/nats-server.js';
import { Responder } from './support/responder.js';
import { responderMode, type ResponderMode } from './support/responder-protocol.js';
import { median, summarize, type LatencySummary } from './support/stats.js';

const TARGET_P50_OVERHEAD = 0.3;
// Many short rounds, each variant in turn: on 2 shared cores the latency of all moves by 2-3x over
// seconds (where the scheduler puts the processes), so variants close in time compare best.
// `taskset -c 0 npm run bench` keeps every process on one CPU: no scheduling effects, only CPU cost.
// A multiple of the variants' count: the order rotates, so each variant runs in each place as often.
const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 9);
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
const VARIANTS: readonly ResponderMode[] = responderMode.options;
/** The library against each bare variant, paired within a round; the first is the target's. */
const COMPARISONS = {
  'lib/bare': { of: 'library', against: 'bare' },
  'lib/bare-json': { of: 'library', against: 'bare-json' },
} as const satisfies Record<string, { of: ResponderMode; against: ResponderMode }>;
type ComparisonLabel = keyof typeof COMPARISONS;
const COMPARISON_LABELS = Object.keys(COMPARISONS) as ComparisonLabel[];
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

interface Clients {
  readonly bare: NatsConnection;
  readonly bus: BusClient;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How each variant asks for an echo of `payload`. */
const CALLS: Readonly<Record<ResponderMode, (payload: string, clients: Clients) => Call>> = {
  bare: (payload, { bare }) => {
    const bytes = encoder.encode(payload);
    return async () => (await bare.request(BARE_SUBJECT, bytes, { timeout: BARE_TIMEOUT_MS })).data.length;
  },
  // Encodes on every call, as BusClient does: the JSON is part of what is measured.
  'bare-json': (payload, { bare }) => {
    const input = { payload };
    return async () => {
      const request = encoder.encode(JSON.stringify(input));
      const reply = await bare.request(BARE_JSON_SUBJECT, request, { timeout: BARE_TIMEOUT_MS });
      return (JSON.parse(decoder.decode(reply.data)) as EchoReply).data.payload.length;
    };
  },
  library: (payload, { bus }) => {
    const input = { payload };
    return async () => (await bus.request(echoRpc, input)).payload.length;
  },
};

/** Each reported figure: how to read it from a phase, and how to print it. */
const FIGURES = {
  p50Ms: { of: (p: Phase) => p.latency.p50Ms, format: (v: number) => v.toFixed(3) },
  p99Ms: { of: (p: Phase) => p.latency.p99Ms, format: (v: number) => v.toFixed(3) },
  meanMs: { of: (p: Phase) => p.latency.meanMs, format: (v: number) => v.toFixed(3) },
  requesterCpuMicrosPerRequest: { of: (p: Phase) => p.requesterCpuMicrosPerRequest, format: micros },
  responderCpuMicrosPerRequest: { of: (p: Phase) => p.responderCpuMicrosPerRequest, format: micros },
} as const;
type FigureName = keyof typeof FIGURES;
type Figures = Record<FigureName, number>;
const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[];

function micros(value: number): string {
  return value.toFixed(0);
}

function record<K extends string, V>(keys: readonly K[], value: (key: K) => V): Record<K, V> {
  return Object.fromEntries(keys.map((key) => [key, value(key)])) as Record<K, V>;
}

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
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** One figure of a comparison, paired within each round (its variants ran back to back). */
function pairedRatios(
  phases: readonly Phase[],
  size: SizeLabel,
  comparison: ComparisonLabel,
  pick: (phase: Phase) => number,
): number[] {
  const { of, against } = COMPARISONS[comparison];
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const base = phases.find((p) => p.round === round && p.size === size && p.variant === against);
    const measured = phases.find((p) => p.round === round && p.size === size && p.variant === of);
    if (base && measured) ratios.push(pick(measured) / pick(base));
  }
  return ratios;
}

function row(cells: readonly string[]): string {
  const widths = [7, 13, 8, 8, 8, 14, 14];
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
    const responder = record(VARIANTS, (variant) => {
      const spawned = Responder.spawn(variant, server.credentials('fs-service'), { telemetry: TELEMETRY });
      responders.push(spawned);
      return spawned;
    });

    console.log(
      `bus request/reply on 127.0.0.1: nats-server ${server.version}, node ${process.version}, ${cpus().length} cpu(s), ` +
        `telemetry ${TELEMETRY ? 'ON in requester and library responder' : 'off (OpenTelemetry API without SDK)'}\n` +
        `${ROUNDS} rounds, ${VARIANTS.join(', ')} in turn (order rotating); per round and variant ` +
        SIZES.map((s) => `${s.warmup} warm-up + ${s.count} measured × ${s.label}`).join(', ') +
        `; each responder settled first (${SETTLE_CYCLES} × ` +
        SIZES.map((s) => `${SETTLE_REQUESTS[s.label]} × ${s.label}`).join(' + ') +
        ')',
    );

    const payloads = new Map(SIZES.map((size) => [size.label, payloadOf(size.bytes)]));
    const clients: Clients = { bare, bus };
    const calls = (variant: ResponderMode, size: SizeLabel): Call =>
      CALLS[variant](payloads.get(size) ?? '', clients);

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
      // Rotated each round, so over every VARIANTS.length rounds each variant runs in each place once.
      const shift = (round - 1) % VARIANTS.length;
      const order = [...VARIANTS.slice(shift), ...VARIANTS.slice(0, shift)];
      // One payload size, every variant back to back, so all of them see the same machine.
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
      for (const [i, size] of SIZES.entries()) {
        const p50s = VARIANTS.map(
          (variant) => `${variant} ${FIGURES.p50Ms.format(p50Of(size.label, variant))}`,
        );
        const ratios = COMPARISON_LABELS.map((label) => {
          const { of, against } = COMPARISONS[label];
          return `${label} ${percent(p50Of(size.label, of) / p50Of(size.label, against))}`;
        });
        const lead = i === 0 ? `round ${String(round).padStart(2)}` : '';
        console.log(
          `  ${lead.padEnd(8)} ${size.label.padStart(6)} p50 ms: ${p50s.join(', ')}; ${ratios.join(', ')}`,
        );
      }
    }

    console.log('');
    console.log(
      row(['payload', 'variant', 'p50 ms', 'p99 ms', 'mean ms', 'req CPU µs/op', 'resp CPU µs/op']),
    );
    const results = SIZES.map((size) => {
      const figures = record(VARIANTS, (variant): Figures => {
        const ofVariant = phases.filter((p) => p.size === size.label && p.variant === variant);
        return record(FIGURE_NAMES, (name) => median(ofVariant.map(FIGURES[name].of)));
      });
      const comparisons = record(COMPARISON_LABELS, (label) => {
        const { of, against } = COMPARISONS[label];
        const p50RatioPerRound = pairedRatios(phases, size.label, label, FIGURES.p50Ms.of);
        return {
          addedP50Ms: figures[of].p50Ms - figures[against].p50Ms,
          ratio: record(FIGURE_NAMES, (name) =>
            median(pairedRatios(phases, size.label, label, FIGURES[name].of)),
          ),
          p50RatioPerRound,
        };
      });
      for (const variant of VARIANTS) {
        const f = figures[variant];
        console.log(row([size.label, variant, ...FIGURE_NAMES.map((name) => FIGURES[name].format(f[name]))]));
      }
      for (const label of COMPARISON_LABELS) {
        const { ratio } = comparisons[label];
        console.log(row([size.label, label, ...FIGURE_NAMES.map((name) => percent(ratio[name]))]));
      }
      return {
        payload: size.label,
        bytes: size.bytes,
        warmup: size.warmup,
        requests: size.count,
        ...figures,
        comparisons,
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
    const responderRssBytes = Object.fromEntries(
      await Promise.all(
        VARIANTS.map(async (variant) => [variant, (await responder[variant].usage()).rssBytes] as const),
      ),
    ) as Record<ResponderMode, number>;
    const spread = COMPARISON_LABELS.map(
      (label) =>
        `${label} ` +
        results
          .map((r) => {
            const sorted = [...r.comparisons[label].p50RatioPerRound].sort((a, b) => a - b);
            return `${r.payload} ${percent(sorted[0] ?? Number.NaN)} … ${percent(sorted[sorted.length - 1] ?? Number.NaN)}`;
          })
          .join(', '),
    ).join('; ');
    console.log(
      `figures: median over rounds; ratios: median of per-round ratios (p50 ratio ranged ${spread})\n` +
        `RSS: requester ${mb(requesterRssBytes)} (both clients), responder ` +
        VARIANTS.map((variant) => `${variant} ${mb(responderRssBytes[variant])}`).join(', '),
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
            comparisons: COMPARISONS,
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

    const overheads = (label: ComparisonLabel) =>
      results.map((r) => ({
        label: r.payload,
        overhead: r.comparisons[label].ratio.p50Ms - 1,
        addedMs: r.comparisons[label].addedP50Ms,
      }));
    const describe = (label: ComparisonLabel): string =>
      overheads(label)
        .map(
          (o, i) =>
            `${o.overhead >= 0 ? '+' : ''}${(o.overhead * 100).toFixed(0)}%${i === 0 ? ' at p50' : ''} ` +
            `(${o.label}, ${o.addedMs >= 0 ? '+' : ''}${(o.addedMs * 1000).toFixed(0)} µs)`,
        )
        .join(', ');
    const met = overheads('lib/bare').every((o) => o.overhead <= TARGET_P50_OVERHEAD);
    const tag = `bus${TELEMETRY ? ' (telemetry on)' : ''}`;
    console.log(
      `${tag}: library adds ${describe('lib/bare')}; target ≤ ${TARGET_P50_OVERHEAD * 100}%${met ? '' : ' (over target)'}\n` +
        `${tag}: against a bare request carrying plain JSON the library adds ${describe('lib/bare-json')}`,
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
