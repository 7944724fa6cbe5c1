// Exec benchmark: run_command("true") through the bus (orchestrator's BusClient → the real vm-service
// → the task's warm sandbox) against the bare ways of running `true` on the same machine:
//   'docker exec': `docker exec` into the very container vm-service runs the task in,
//   'bwrap':       bubblewrap on the sandbox image's root file system, started for the one command,
//   'spawn':       a local spawn, no sandbox at all, and
//   'nats':        a bare NATS request/reply (support/bus-responder.ts) on the same nats-server,
// and the first command of a new task (open + first run) against `docker run` of the sandbox image:
// once taking the spare sandbox vm-service keeps for the last task's folders (warm pool), once in a
// folder no sandbox is running for (cold); beside them, one command of the warm task alone after the
// same pause ('idle-run'), since a lone command after idling costs more than one in a tight loop —
// and a bare local spawn alone after the same pause ('idle-spawn'), which shows the machine's own
// part of that. The warm pool's target compares like with like: a first command against a warm
// command after the same pause; the tight-loop ratio is printed beside it.
// vm-service runs twice, once per runtime (Docker and bubblewrap, whichever this machine has), each
// on its own nats-server so they never answer each other's requests. Rounds interleave the variants
// (order rotating); steady figures are medians over rounds, start-up ones pool every sample.
// Prints the figures and the targets, writes results/vm-exec.json; never judges wall-clock time, and
// exits non-zero only when something is broken (a process does not start, a command fails).
//
// BENCH_ROUNDS=<n> changes the number of rounds; BENCH_SPARE_SETTLE_MS=<ms> how long the benchmark
// waits, before each first command, for vm-service's spare sandbox to be up.
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  inboxPrefix,
  vmExecRun,
  vmSandboxClose,
  vmSandboxOpen,
  type SandboxRuntimeName,
} from '@steward/contracts';
import { BusClient, connectBus } from '@steward/messaging';
import { BARE_SUBJECT, BARE_TIMEOUT_MS } from './support/echo-rpc.js';
import { processMemory, type ProcessMemory } from './support/fs-read-proc.js';
import { startNatsServer, type RunningNatsServer } from './support/nats-server.js';
import { Responder } from './support/responder.js';
import { median, summarize, type LatencySummary } from './support/stats.js';
import { availableRuntimes, bwrapArgs, exitsCleanly, sandboxImage } from './support/vm-exec-bare.js';
import { containersOf, sandboxFolder, startVmService, type VmService } from './support/vm-exec-service.js';

/** Six steady variants at most: six rounds put each in each place of the rotation once. */
const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 6);
/** vm-service starts the spare a second after a task's sandbox is up; it then takes a few hundred ms. */
const SETTLE_MS = positiveInteger(process.env.BENCH_SPARE_SETTLE_MS, 2_000);
/** A spare that was not up in time: the next waits this much longer, up to the cap. */
const SETTLE_CAP_MS = 8_000;
const FAST = { warmup: 30, count: 200 } as const;
/** `docker exec` costs tens of milliseconds a time: fewer, so a round stays short. */
const SLOW = { warmup: 3, count: 25 } as const;
/** Before the first round every steady variant runs this many times: fresh processes settle slowly. */
const SETTLE_RUNS = 100;
const POOL_PER_ROUND = 2;
const DOCKER_RUN_PER_ROUND = 3;
const NATS_PAYLOAD_BYTES = 100;
const TARGETS = {
  execVsDockerExec: 5,
  execVsSpawnPlusBus: 3,
  firstVsWarm: 2,
} as const;
const RESULTS_FILE = fileURLToPath(new URL('../results/vm-exec.json', import.meta.url));

type Runtime = SandboxRuntimeName;
type SteadyVariant = `run-${Runtime}` | 'docker-exec' | 'bwrap' | 'spawn' | 'nats';
type StartVariant =
  `first-pool-${Runtime}` | `first-cold-${Runtime}` | `idle-run-${Runtime}` | 'idle-spawn' | 'docker-run';

const DESCRIPTIONS: Readonly<Record<SteadyVariant | StartVariant, string>> = {
  'run-docker': 'run_command: BusClient → vm-service → warm Docker sandbox',
  'run-bubblewrap': 'run_command: BusClient → vm-service → warm bubblewrap sandbox',
  'docker-exec': 'docker exec <the task’s container> true',
  bwrap: 'bwrap --unshare-all … --ro-bind <rootfs> / … true',
  spawn: 'spawn("true") locally',
  nats: `bare NATS request/reply, ${NATS_PAYLOAD_BYTES} B echoed`,
  'first-pool-docker': 'vm.sandbox.open + first run_command, spare taken (Docker)',
  'first-pool-bubblewrap': 'vm.sandbox.open + first run_command, spare taken (bubblewrap)',
  'first-cold-docker': 'vm.sandbox.open + first run_command, no spare (Docker)',
  'first-cold-bubblewrap': 'vm.sandbox.open + first run_command, no spare (bubblewrap)',
  'idle-run-docker': 'run_command in the warm Docker task, alone after the same pause as a first command',
  'idle-run-bubblewrap': 'run_command in the warm bubblewrap task, alone after the same pause',
  'idle-spawn': 'spawn("true") locally, alone after the same pause',
  'docker-run': 'docker run --rm --network none <image> true',
};

interface Rig {
  readonly runtime: Runtime;
  readonly nats: RunningNatsServer;
  readonly service: VmService;
  readonly bus: BusClient;
  /** The folder of the warm task and of the warm-pool tasks. */
  readonly folder: string;
  /** A second folder, so a cold start always has a folder no spare sandbox is running for. */
  readonly otherFolder: string;
  readonly warmTask: string;
  tasks: number;
  runs: number;
  settleMs: number;
  poolMisses: number;
}

interface Steady {
  readonly variant: SteadyVariant;
  readonly warmup: number;
  readonly count: number;
  readonly op: () => Promise<void>;
}

interface Phase {
  readonly round: number;
  readonly variant: SteadyVariant;
  readonly latency: LatencySummary;
}

interface StartSample {
  readonly round: number;
  readonly variant: StartVariant;
  readonly ms: number;
  /** First commands only. */
  readonly breakdown?: Omit<FirstCommand, 'ms' | 'ready'>;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
}

async function runTrue(rig: Rig, taskId: string): Promise<void> {
  const reply = await rig.bus.request(vmExecRun, {
    taskId,
    execId: `bench-${++rig.runs}`,
    command: 'true',
  });
  if (reply.exitCode !== 0)
    throw new Error(`run_command("true") in ${rig.runtime} answered ${JSON.stringify(reply).slice(0, 500)}`);
}

function nextTask(rig: Rig, kind: string): string {
  return `bench-${kind}-${rig.runtime}-${++rig.tasks}`;
}

/** Where a first command's time goes, and what the task's next command costs. */
interface FirstCommand {
  readonly ms: number;
  readonly openMs: number;
  readonly firstRunMs: number;
  /** Not part of `ms`: the same task's second command, in the sandbox the first one warmed. */
  readonly secondRunMs: number;
  /** Whether vm-service said the sandbox was already up when the task opened. */
  readonly ready: boolean;
}

/** Opens a new task in `folder` and runs its first command, timed together; then closes the task. */
async function firstCommand(rig: Rig, folder: string, kind: string): Promise<FirstCommand> {
  const taskId = nextTask(rig, kind);
  const started = process.hrtime.bigint();
  const opened = await rig.bus.request(vmSandboxOpen, { taskId, folders: [folder] });
  const openedAt = process.hrtime.bigint();
  await runTrue(rig, taskId);
  const ranAt = process.hrtime.bigint();
  await runTrue(rig, taskId);
  const secondRunMs = Number(process.hrtime.bigint() - ranAt) / 1e6;
  if (opened.runtime !== rig.runtime)
    throw new Error(`vm-service asked for ${rig.runtime} runs sandboxes with ${opened.runtime}`);
  await rig.bus.request(vmSandboxClose, { taskId });
  return {
    ms: Number(ranAt - started) / 1e6,
    openMs: Number(openedAt - started) / 1e6,
    firstRunMs: Number(ranAt - openedAt) / 1e6,
    secondRunMs,
    ready: opened.ready,
  };
}

/**
 * One start-up cycle of a runtime: first commands that take the spare (the spare is for the warm
 * task's folder when a cycle begins), then a cold first command in each folder in turn (the spare is
 * then always for the other one; the last leaves it for the warm folder again). Each waits for the
 * previous start (vm-service starts a spare a moment after every task's sandbox) to be over. The
 * pause before a cold one also times one command of the warm task: a warm command as isolated as a
 * first command is.
 */
async function startCycle(
  rig: Rig,
  round: number,
  record: (sample: StartSample) => void,
  pools = POOL_PER_ROUND,
): Promise<void> {
  for (let i = 0; i < pools; i++) {
    await sleep(rig.settleMs);
    const { ms, ready, ...breakdown } = await firstCommand(rig, rig.folder, 'pool');
    if (ready) {
      record({ round, variant: `first-pool-${rig.runtime}`, ms, breakdown });
    } else {
      // Measured against a spare still starting: not the warm pool's figure; wait longer next time.
      rig.poolMisses += 1;
      rig.settleMs = Math.min(SETTLE_CAP_MS, rig.settleMs * 2);
    }
  }
  await sleep(rig.settleMs);
  const [spawned] = await measure(() => exitsCleanly('true', []), 1);
  record({ round, variant: 'idle-spawn', ms: spawned ?? Number.NaN });
  for (const folder of [rig.otherFolder, rig.folder]) {
    await sleep(rig.settleMs);
    const [idle] = await measure(() => runTrue(rig, rig.warmTask), 1);
    record({ round, variant: `idle-run-${rig.runtime}`, ms: idle ?? Number.NaN });
    const { ms, ready, ...breakdown } = await firstCommand(rig, folder, 'cold');
    if (ready) throw new Error(`a cold first command in ${folder} found a sandbox already running`);
    record({ round, variant: `first-cold-${rig.runtime}`, ms, breakdown });
  }
}

async function measure(op: () => Promise<void>, count: number): Promise<Float64Array> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await op();
    samples[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return samples;
}

async function repeat(op: () => Promise<void>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await op();
}

function natsEcho(nc: NatsConnection): () => Promise<void> {
  const payload = new Uint8Array(NATS_PAYLOAD_BYTES).fill(0x61);
  return async () => {
    const reply = await nc.request(BARE_SUBJECT, payload, { timeout: BARE_TIMEOUT_MS });
    if (reply.data.length !== NATS_PAYLOAD_BYTES)
      throw new Error(`the bare responder answered ${reply.data.length} bytes, not ${NATS_PAYLOAD_BYTES}`);
  };
}

const ms3 = (value: number): string => (Number.isFinite(value) ? value.toFixed(3) : 'n/a');
const times = (ratio: number): string => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a');
const mb = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const memory = (m: ProcessMemory | undefined): string =>
  m === undefined ? 'n/a' : `${mb(m.rssBytes)} (peak ${mb(m.peakRssBytes)})`;

function row(cells: readonly string[]): string {
  const widths = [22, 5, 10, 10, 10];
  return cells
    .map((cell, i) => (i < 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

interface StartFigure extends LatencySummary {
  readonly samples: number;
  /** Medians of the parts of a first command; undefined for docker run. */
  readonly breakdownP50: Omit<FirstCommand, 'ms' | 'ready'> | undefined;
}

interface TargetResult {
  readonly label: string;
  readonly ratio: number;
  readonly goal: string;
  readonly met: boolean;
}

async function main(): Promise<void> {
  const rigs: Rig[] = [];
  const natsServers: RunningNatsServer[] = [];
  const services: VmService[] = [];
  const folders: string[] = [];
  const connections: Array<{ close(): Promise<void> }> = [];
  let responder: Responder | undefined;
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(
      rigs.map((rig) => rig.bus.request(vmSandboxClose, { taskId: rig.warmTask }).catch(() => undefined)),
    );
    await Promise.allSettled(connections.map((c) => c.close()));
    await responder?.stop();
    await Promise.allSettled(services.map((s) => s.stop()));
    await Promise.allSettled(natsServers.map((n) => n.stop()));
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  };
  process.once('exit', () => {
    responder?.kill();
    for (const service of services) service.killNow();
    for (const nats of natsServers) nats.killNow();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const image = await sandboxImage();
    const runtimes = availableRuntimes(image);
    if (runtimes.length === 0)
      throw new Error(
        `neither Docker (with ${image.dockerImage}) nor bubblewrap can run the sandbox image here: ` +
          'start dockerd, or install bubblewrap',
      );
    const docker = runtimes.includes('docker');
    const bubblewrap = runtimes.includes('bubblewrap');

    const folder = sandboxFolder('warm');
    const otherFolder = sandboxFolder('other');
    folders.push(folder, otherFolder);

    const setup: Array<{ runtime: Runtime; serviceMs: number; firstSandboxMs: number }> = [];
    for (const runtime of runtimes) {
      const nats = await startNatsServer();
      natsServers.push(nats);
      const service = await startVmService(nats.credentials('vm-service'), runtime);
      services.push(service);
      const bus = new BusClient(
        await connectBus('orchestrator', nats.credentials('orchestrator')),
        'orchestrator',
      );
      connections.push(bus);
      const rig: Rig = {
        runtime,
        nats,
        service,
        bus,
        folder,
        otherFolder,
        warmTask: `bench-warm-${runtime}`,
        tasks: 0,
        runs: 0,
        settleMs: SETTLE_MS,
        poolMisses: 0,
      };
      rigs.push(rig);
      // The warm task's sandbox is the first this vm-service starts: nothing is cached yet.
      const started = performance.now();
      const opened = await bus.request(vmSandboxOpen, { taskId: rig.warmTask, folders: [folder] });
      if (opened.runtime !== runtime)
        throw new Error(`vm-service asked for ${runtime} runs sandboxes with ${opened.runtime}`);
      await runTrue(rig, rig.warmTask);
      setup.push({ runtime, serviceMs: service.startMs, firstSandboxMs: performance.now() - started });
    }
    const rigOf = (runtime: Runtime): Rig | undefined => rigs.find((rig) => rig.runtime === runtime);

    const first = rigs[0];
    if (first === undefined) throw new Error('no vm-service was started');
    responder = Responder.spawn('bare', first.nats.credentials('fs-service'), { telemetry: false });
    await responder.listen();
    const orchestrator = first.nats.credentials('orchestrator');
    const bare = await connect({
      servers: orchestrator.servers,
      user: orchestrator.user,
      pass: orchestrator.pass,
      inboxPrefix: inboxPrefix('orchestrator'),
      name: `orchestrator:bench-vm-exec-bare:${process.pid}`,
    });
    connections.push({ close: () => bare.drain() });

    const steady: Steady[] = [];
    for (const rig of rigs)
      steady.push({ variant: `run-${rig.runtime}`, ...FAST, op: () => runTrue(rig, rig.warmTask) });
    const dockerRig = rigOf('docker');
    if (dockerRig !== undefined) {
      const [container, ...others] = containersOf(dockerRig.service.owner, dockerRig.warmTask);
      if (container === undefined || others.length > 0)
        throw new Error(
          `expected one running container for task ${dockerRig.warmTask}, found ${others.length + (container ? 1 : 0)}`,
        );
      steady.push({
        variant: 'docker-exec',
        ...SLOW,
        op: () => exitsCleanly('docker', ['exec', container, 'true']),
      });
    }
    if (bubblewrap)
      steady.push({
        variant: 'bwrap',
        ...FAST,
        op: () => exitsCleanly('bwrap', bwrapArgs(image.rootfs, ['true'])),
      });
    steady.push({ variant: 'spawn', ...FAST, op: () => exitsCleanly('true', []) });
    steady.push({ variant: 'nats', ...FAST, op: natsEcho(bare) });
    const dockerRun = (): Promise<void> =>
      exitsCleanly('docker', ['run', '--rm', '--network', 'none', image.dockerImage, 'true']);

    console.log(
      `node ${process.version}, nats-server ${first.nats.version}, ${cpus().length} cpu(s), ${cpus()[0]?.model ?? 'unknown'}\n` +
        `sandbox image ${image.version} (${image.dockerImage}, rootfs ${image.rootfs}); runtimes: ${runtimes.join(', ')}\n` +
        setup
          .map(
            (s) =>
              `vm-service (${s.runtime}): started in ${s.serviceMs.toFixed(0)} ms; its first sandbox ` +
              `(open + first run_command) ${s.firstSandboxMs.toFixed(0)} ms`,
          )
          .join('\n') +
        `\n${ROUNDS} rounds; per round: ${steady.map((s) => s.variant).join(', ')} in turn (order rotating), ` +
        `${FAST.count} runs each (${SLOW.count} for docker exec) after ${FAST.warmup} (${SLOW.warmup}) warm-up; ` +
        (docker ? `then ${DOCKER_RUN_PER_ROUND} docker run; ` : 'then ') +
        `per runtime ${POOL_PER_ROUND} first commands from the warm pool and 2 cold ones (each after one ` +
        `idle warm run), each after ${SETTLE_MS} ms for the spare to be up`,
    );
    console.log(
      Object.entries(DESCRIPTIONS)
        .map(([name, what]) => `  ${name.padEnd(22)} ${what}`)
        .join('\n'),
    );

    for (const s of steady) await repeat(s.op, s.variant === 'docker-exec' ? SLOW.count : SETTLE_RUNS);
    const starts: StartSample[] = [];
    // One start-up cycle unrecorded: the first starts of a fresh service take its cold code paths.
    for (const rig of rigs) await startCycle(rig, 0, () => undefined, 1);
    if (docker) await dockerRun();
    const memoryAfterWarmup = rigs.map((rig) => ({
      runtime: rig.runtime,
      memory: processMemory(rig.service.pid),
    }));

    const phases: Phase[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const shift = (round - 1) % steady.length;
      for (const s of [...steady.slice(shift), ...steady.slice(0, shift)]) {
        await repeat(s.op, s.warmup);
        globalThis.gc?.();
        phases.push({ round, variant: s.variant, latency: summarize(await measure(s.op, s.count)) });
      }
      if (docker) {
        for (let i = 0; i < DOCKER_RUN_PER_ROUND; i++) {
          const samples = await measure(dockerRun, 1);
          starts.push({ round, variant: 'docker-run', ms: samples[0] ?? Number.NaN });
        }
      }
      const rigShift = (round - 1) % rigs.length;
      for (const rig of [...rigs.slice(rigShift), ...rigs.slice(0, rigShift)])
        await startCycle(rig, round, (sample) => starts.push(sample));
      const p50 = (variant: SteadyVariant): number =>
        phases.find((p) => p.round === round && p.variant === variant)?.latency.p50Ms ?? Number.NaN;
      const startP50 = (variant: StartVariant): number =>
        median(starts.filter((s) => s.round === round && s.variant === variant).map((s) => s.ms));
      console.log(
        `  round ${round} p50 ms: ${steady.map((s) => `${s.variant} ${ms3(p50(s.variant))}`).join(', ')}; ` +
          rigs
            .map(
              (rig) =>
                `first-pool-${rig.runtime} ${ms3(startP50(`first-pool-${rig.runtime}`))}, ` +
                `idle-run-${rig.runtime} ${ms3(startP50(`idle-run-${rig.runtime}`))}, ` +
                `first-cold-${rig.runtime} ${ms3(startP50(`first-cold-${rig.runtime}`))}`,
            )
            .join(', ') +
          (docker ? `, docker-run ${ms3(startP50('docker-run'))}` : ''),
      );
    }

    const steadyFigures = Object.fromEntries(
      steady.map((s) => {
        const of = phases.filter((p) => p.variant === s.variant);
        return [
          s.variant,
          {
            samples: of.length * s.count,
            p50Ms: median(of.map((p) => p.latency.p50Ms)),
            p99Ms: median(of.map((p) => p.latency.p99Ms)),
            meanMs: median(of.map((p) => p.latency.meanMs)),
          },
        ];
      }),
    ) as Partial<Record<SteadyVariant, { samples: number; p50Ms: number; p99Ms: number; meanMs: number }>>;
    const startVariants: StartVariant[] = [
      ...rigs.flatMap((rig): StartVariant[] => [
        `first-pool-${rig.runtime}`,
        `idle-run-${rig.runtime}`,
        `first-cold-${rig.runtime}`,
      ]),
      'idle-spawn',
      ...(docker ? (['docker-run'] as const) : []),
    ];
    const startFigures = Object.fromEntries(
      startVariants.map((variant) => {
        const of = starts.filter((s) => s.variant === variant);
        const parts = of.flatMap((s) => (s.breakdown === undefined ? [] : [s.breakdown]));
        const breakdownP50 =
          parts.length === 0
            ? undefined
            : {
                openMs: median(parts.map((b) => b.openMs)),
                firstRunMs: median(parts.map((b) => b.firstRunMs)),
                secondRunMs: median(parts.map((b) => b.secondRunMs)),
              };
        return [
          variant,
          { samples: of.length, ...summarize(Float64Array.from(of.map((s) => s.ms))), breakdownP50 },
        ];
      }),
    ) as Partial<Record<StartVariant, StartFigure>>;

    /** Per round: the figure of `of` against a figure the round gives; the median over rounds. */
    const pairedRatio = (of: SteadyVariant, against: (round: number) => number): number => {
      const ratios: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const measured = phases.find((p) => p.round === round && p.variant === of)?.latency.p50Ms;
        if (measured !== undefined) ratios.push(measured / against(round));
      }
      return median(ratios);
    };
    const roundP50 =
      (variant: SteadyVariant) =>
      (round: number): number =>
        phases.find((p) => p.round === round && p.variant === variant)?.latency.p50Ms ?? Number.NaN;

    const targets: TargetResult[] = [];
    const informative: TargetResult[] = [];
    for (const rig of rigs) {
      const run: SteadyVariant = `run-${rig.runtime}`;
      if (docker) {
        // How many times faster: docker exec's p50 over run_command's, per round.
        const faster = 1 / pairedRatio(run, roundP50('docker-exec'));
        targets.push({
          label: `warm run_command (${rig.runtime}) vs bare docker exec`,
          ratio: faster,
          goal: `≥ ${TARGETS.execVsDockerExec}x faster`,
          met: faster >= TARGETS.execVsDockerExec,
        });
      }
      const overFloor = pairedRatio(run, (round) => roundP50('spawn')(round) + roundP50('nats')(round));
      targets.push({
        label: `warm run_command (${rig.runtime}) vs spawn + NATS round trip`,
        ratio: overFloor,
        goal: `≤ ${TARGETS.execVsSpawnPlusBus}x`,
        met: overFloor <= TARGETS.execVsSpawnPlusBus,
      });
      const pool = startFigures[`first-pool-${rig.runtime}`]?.p50Ms ?? Number.NaN;
      // Like with like: both alone after the same pause (a first command never comes in a tight loop).
      const firstOverWarm = pool / (startFigures[`idle-run-${rig.runtime}`]?.p50Ms ?? Number.NaN);
      targets.push({
        label: `first command, warm pool (${rig.runtime}) vs warm command, each alone after the same pause`,
        ratio: firstOverWarm,
        goal: `≤ ${TARGETS.firstVsWarm}x`,
        met: firstOverWarm <= TARGETS.firstVsWarm,
      });
      informative.push({
        label: `first command, warm pool (${rig.runtime}) vs warm command in a tight loop`,
        ratio: pool / (steadyFigures[run]?.p50Ms ?? Number.NaN),
        goal: '(no target)',
        met: true,
      });
      const cold = startFigures[`first-cold-${rig.runtime}`]?.p50Ms ?? Number.NaN;
      if (docker) {
        const dockerRunP50 = startFigures['docker-run']?.p50Ms ?? Number.NaN;
        informative.push({
          label: `first command, cold (${rig.runtime}) vs bare docker run`,
          ratio: cold / dockerRunP50,
          goal: '(no target)',
          met: true,
        });
      }
    }
    informative.push({
      label: 'bare spawn alone after the same pause vs bare spawn in a tight loop (the machine’s part)',
      ratio: (startFigures['idle-spawn']?.p50Ms ?? Number.NaN) / (steadyFigures.spawn?.p50Ms ?? Number.NaN),
      goal: '(no target)',
      met: true,
    });
    if (docker && bubblewrap) {
      informative.push({
        label: 'bare bwrap vs bare docker exec',
        ratio: 1 / pairedRatio('bwrap', roundP50('docker-exec')),
        goal: '(no target; times faster)',
        met: true,
      });
    }

    console.log('');
    console.log(row(['variant', 'n', 'p50 ms', 'p99 ms', 'mean ms']));
    for (const s of steady) {
      const f = steadyFigures[s.variant];
      console.log(
        row([
          s.variant,
          String(f?.samples ?? 0),
          ms3(f?.p50Ms ?? NaN),
          ms3(f?.p99Ms ?? NaN),
          ms3(f?.meanMs ?? NaN),
        ]),
      );
    }
    for (const variant of startVariants) {
      const f = startFigures[variant];
      console.log(
        row([
          variant,
          String(f?.samples ?? 0),
          ms3(f?.p50Ms ?? NaN),
          ms3(f?.p99Ms ?? NaN),
          ms3(f?.meanMs ?? NaN),
        ]),
      );
    }
    for (const variant of startVariants) {
      const parts = startFigures[variant]?.breakdownP50;
      if (parts !== undefined)
        console.log(
          `${variant}: vm.sandbox.open ${ms3(parts.openMs)} ms + first run_command ${ms3(parts.firstRunMs)} ms ` +
            `(medians); the task's second run_command ${ms3(parts.secondRunMs)} ms`,
        );
    }
    const memoryAtEnd = rigs.map((rig) => ({ runtime: rig.runtime, memory: processMemory(rig.service.pid) }));
    console.log(
      `steady variants: median over rounds of each round's figure; first commands, idle runs and docker run: ` +
        `all samples pooled (their p99 is their maximum)\n` +
        rigs
          .map(
            (rig) =>
              `vm-service (${rig.runtime}) RSS: ${memory(memoryAtEnd.find((m) => m.runtime === rig.runtime)?.memory)}` +
              (rig.poolMisses > 0
                ? `; ${rig.poolMisses} first command(s) found the spare still starting and were left out ` +
                  `(settle raised to ${rig.settleMs} ms)`
                : ''),
          )
          .join('\n'),
    );
    console.log('\ntargets (ratios of p50; steady ones paired within a round):');
    for (const t of targets)
      console.log(
        `  ${t.label.padEnd(68)} ${times(t.ratio).padStart(8)}  ${t.goal.padEnd(16)} ${t.met ? 'met' : 'MISSED'}`,
      );
    for (const t of informative)
      console.log(`  ${t.label.padEnd(68)} ${times(t.ratio).padStart(8)}  ${t.goal}`);

    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          benchmark: 'vm-exec',
          finishedAt: new Date().toISOString(),
          environment: {
            node: process.version,
            natsServer: first.nats.version,
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
            sandboxImage: image,
            runtimes,
          },
          settings: {
            rounds: ROUNDS,
            fast: FAST,
            slow: SLOW,
            settleRuns: SETTLE_RUNS,
            spareSettleMs: SETTLE_MS,
            poolPerRound: POOL_PER_ROUND,
            coldPerRound: 2,
            idleRunsPerRound: 2,
            dockerRunPerRound: DOCKER_RUN_PER_ROUND,
            statistic:
              'steady: median over rounds of per-round figures, ratios paired within a round; ' +
              'first commands and docker run: pooled samples',
            variants: DESCRIPTIONS,
            targets: TARGETS,
          },
          setup,
          figures: { ...steadyFigures, ...startFigures },
          targets,
          informative,
          poolMisses: Object.fromEntries(rigs.map((rig) => [rig.runtime, rig.poolMisses])),
          memory: { afterWarmup: memoryAfterWarmup, atEnd: memoryAtEnd },
          rounds: phases.map((p) => ({ round: p.round, variant: p.variant, ...p.latency })),
          startSamples: starts,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`figures written to ${RESULTS_FILE}`);
    console.log(
      `vm-exec: ${targets.filter((t) => t.met).length} of ${targets.length} targets met` +
        (targets.some((t) => !t.met)
          ? ` (missed: ${targets
              .filter((t) => !t.met)
              .map((t) => t.label)
              .join('; ')})`
          : ''),
    );
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(
    `vm-exec benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
