// Loop benchmark: what the orchestrator's agent loop adds to each tool call. One task, run through the
// real orchestrator and fs-service processes on a real nats-server, with the local model server
// (@steward/testing) answering every turn with one read_file of a small file. Per tool call, two clocks:
//   'loop':        inside the orchestrator, from its telemetry (support/span-clock.ts): the chat span
//                  ends when the answer carrying the tool_use has arrived whole, the next chat span
//                  starts when the loop hands the request carrying the tool_result to the SDK. This is
//                  the "tool_use arriving → tool_result sent", and what the target is judged on:
//                  loop p50 − the bare read paced like the loop (below) < 2 ms, loop p99 < 10x its p50;
//   'per call':    outside, at the model server: it handed off the answer → the next request arrived.
//                  This adds the SDK's own share and the HTTP hop to the loop's time.
// against, measured in the same run:
//   'bare read':   a bare NATS request to a bare subscriber that reads the file with fs.readFile and
//                  answers with its bytes (support/fs-read-bare-responder.ts): one bus round trip plus
//                  one file read, the floor of what a tool call needs; back to back, and 'paced' with
//                  the loop's own interval between reads (a process woken every few ms answers slower
//                  than one kept busy, and the loop's reads are that far apart);
//   'SDK share':   the official SDK's own part of the same window (taking in the streamed answer,
//                  serializing the next request), timed by sending the task's requests again through
//                  a bare SDK client in this process: the conversation grows to 400 messages.
// Then 20 tasks at once, each with 20 reads, watched from the page's side (the ui user subscribed to
// every task event before they were created): every event each task owes must have arrived.
// Prints figures and writes them to results/orchestrator-loop.json; it never judges wall-clock time,
// and exits non-zero only when something is broken (a task does not complete, a read fails).
//
// BENCH_ROUNDS=<n> changes the number of rounds (3), BENCH_CALLS=<n> the reads of the measured task
// (200), BENCH_TASKS=<n> the tasks run at once (20). BENCH_CPU_PROFILE=1 profiles the orchestrator's
// CPU during the rounds and prints where it went; BENCH_CPU_PROFILE=<folder> also keeps the profile
// there (open it in Chrome DevTools). The profiler's sampling slows the loop: figures of such a run
// are for finding where the time goes, not for comparing.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  FINAL_TASK_STATUSES,
  inboxPrefix,
  orchestratorTaskCreate,
  orchestratorTaskGet,
  type TaskView,
} from '@steward/contracts';
import { BusClient, connectBus } from '@steward/messaging';
import { ModelServer } from '@steward/testing';
import { BARE_READ_SERVICE } from './support/fs-read-bare-protocol.js';
import { SpanClock } from './support/span-clock.js';
import { processCpuMicros, processMemory, type ProcessMemory } from './support/fs-read-proc.js';
import { startBareReader, type StartedServer } from './support/fs-read-servers.js';
import { startNatsServer, type RunningNatsServer } from './support/nats-server.js';
import { bareReads, inProcessReads, replayWithSdk, type SdkShare } from './support/orchestrator-baseline.js';
import { ExchangeClock } from './support/orchestrator-clock.js';
import { auditTask, TaskEventRecorder, type TaskAudit } from './support/orchestrator-events.js';
import {
  startProfiling,
  stopProfiling,
  summarizeProfile,
  type ProfileSummary,
} from './support/orchestrator-profile.js';
import { makeNoteFolder, promptFor, ReadLoopScript, type NoteFolder } from './support/orchestrator-script.js';
import { startFsServiceForTasks, startOrchestrator } from './support/orchestrator-stack.js';
import { median, summarize, type LatencySummary } from './support/stats.js';

const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 3);
const CALLS = positiveInteger(process.env.BENCH_CALLS, 200);
const CONCURRENT_TASKS = positiveInteger(process.env.BENCH_TASKS, 20);
const CONCURRENT_CALLS = 20;
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE ?? '';
/** One task before the rounds, unmeasured: a fresh orchestrator's first turns run cold code. */
const SETTLE_CALLS = 40;
const BARE_WARMUP = 200;
const BARE_COUNT = 500;
/** Paced bare reads per round (a few ms apart each). */
const PACED_COUNT = 300;
const IN_PROCESS_COUNT = 500;
/** Calls at each end of the measured task, compared to see whether a call costs more as the conversation grows. */
const EDGE_CALLS = 20;
const TARGET_OVERHEAD_P50_MS = 2;
const TARGET_P99_OVER_P50 = 10;
const API_KEY = 'sk-ant-bench-orchestrator-loop';
const MODEL = 'claude-sonnet-4-6';
const TASK_DEADLINE_MS = 600_000;
/** After a task's record says it finished, how long its last events may take to arrive. */
const EVENT_GRACE_MS = 5_000;
const RESULTS_FILE = fileURLToPath(new URL('../results/orchestrator-loop.json', import.meta.url));

interface TaskRun {
  readonly marker: string;
  readonly calls: number;
  readonly view: TaskView;
  readonly wallMs: number;
  /** Per tool call: the answer carrying the tool_use handed off → the request carrying its result. */
  readonly perCallMs: Float64Array;
}

interface Round {
  readonly round: number;
  /** Inside the orchestrator: chat span end → next chat span start. */
  readonly loop: LatencySummary;
  /** The execute_tool span of each call (its bus request to fs-service among it). */
  readonly executeTool: LatencySummary;
  readonly bareReadPaced: LatencySummary;
  readonly loopOverheadP50Ms: number;
  readonly loopP99OverP50: number;
  readonly perCall: LatencySummary;
  readonly firstCallsP50Ms: number;
  readonly lastCallsP50Ms: number;
  readonly bareRead: LatencySummary;
  readonly inProcessRead: LatencySummary;
  readonly sdkShare: LatencySummary;
  /** The two halves of the SDK share: taking in an answer, and sending the next request. */
  readonly sdkReceive: LatencySummary;
  readonly sdkSend: LatencySummary;
  readonly perCallLessSdk: LatencySummary;
  readonly overheadP50Ms: number;
  readonly p99OverP50: number;
  readonly taskWallMs: number;
  readonly orchestratorCpuMicrosPerCall: number;
  readonly orchestratorMemory: ProcessMemory | undefined;
  readonly perCallMs: readonly number[];
}

class Broken extends Error {}

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Broken(`${what} did not finish within ${ms} ms`)), ms);
    // A deadline never keeps the benchmark alive once everything else has ended.
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number): string => value.toFixed(3);
const times = (ratio: number): string => (Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : 'n/a');
const mb = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const memory = (m: ProcessMemory | undefined): string =>
  m === undefined ? 'n/a' : `${mb(m.rssBytes)} (peak ${mb(m.peakRssBytes)})`;

/** Repeated lines once, with how often they came. */
function grouped(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, count]) => (count === 1 ? line : `${line} ×${count}`));
}

function slice(samples: Float64Array, from: number, to: number): Float64Array {
  return samples.subarray(Math.max(0, from), Math.min(samples.length, to));
}

function row(cells: readonly string[]): string {
  const widths = [34, 9, 9, 9, 9];
  return cells
    .map((cell, i) => (i < 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

async function main(): Promise<void> {
  let nats: RunningNatsServer | undefined;
  let model: ModelServer | undefined;
  let clock: ExchangeClock | undefined;
  let spanClock: SpanClock | undefined;
  let folder: NoteFolder | undefined;
  let profileDir: string | undefined;
  let keepProfile = false;
  let orchestratorLog: (() => string) | undefined;
  const servers: StartedServer[] = [];
  const connections: Array<{ close(): Promise<void> }> = [];
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(connections.map((c) => c.close()));
    await Promise.allSettled(servers.map((s) => s.stop()));
    await nats?.stop();
    clock?.close();
    await spanClock?.close();
    await model?.close();
    folder?.remove();
    if (profileDir !== undefined && !keepProfile) rmSync(profileDir, { recursive: true, force: true });
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
    folder = makeNoteFolder();
    const notes = folder;
    nats = await startNatsServer();
    const bus = nats;
    model = await ModelServer.start({ apiKey: API_KEY });
    const modelServer = model;
    clock = new ExchangeClock(modelServer.port);
    const exchanges = clock;
    const script = new ReadLoopScript(notes);
    modelServer.respondWith(script.handler);

    const fsService = await startFsServiceForTasks(bus.credentials('fs-service'));
    servers.push(fsService);
    const bareReader = await startBareReader(bus.credentials(BARE_READ_SERVICE));
    servers.push(bareReader);
    if (CPU_PROFILE === '1') profileDir = mkdtempSync(join(tmpdir(), 'steward-bench-orchestrator-profile-'));
    else if (CPU_PROFILE !== '') {
      profileDir = resolve(CPU_PROFILE);
      keepProfile = true;
      await mkdir(profileDir, { recursive: true });
    }
    spanClock = await SpanClock.start();
    const spans = spanClock;
    const orchestrator = await startOrchestrator(bus.credentials('orchestrator'), {
      otlpEndpoint: spans.endpoint,
      modelUrl: modelServer.url,
      apiKey: API_KEY,
      model: MODEL,
      maxTurns: Math.max(CALLS, SETTLE_CALLS, CONCURRENT_CALLS) + 10,
      cpuProfileDir: profileDir,
    });
    servers.push(orchestrator);
    orchestratorLog = orchestrator.log;
    const orchestratorMemoryAtStart = processMemory(orchestrator.pid);

    const uiConnection = await connectBus('ui', bus.credentials('ui'));
    const page = new BusClient(uiConnection, 'ui');
    connections.push(page);
    const events = await TaskEventRecorder.start(uiConnection);
    const callerCredentials = bus.credentials('orchestrator');
    const bareClient: NatsConnection = await connect({
      servers: callerCredentials.servers,
      user: callerCredentials.user,
      pass: callerCredentials.pass,
      inboxPrefix: inboxPrefix('orchestrator'),
      name: `orchestrator:bench-loop-bare:${process.pid}`,
    });
    connections.push({ close: () => bareClient.drain() });
    const sdk = new Anthropic({ apiKey: API_KEY, baseURL: modelServer.url, maxRetries: 0 });

    const taskViews: Array<{ run: TaskRun; turns: number }> = [];

    /** Runs one scripted task to its end; anything but `completed` with every read done is broken. */
    const runTask = async (marker: string, calls: number): Promise<TaskRun> => {
      script.add(marker, calls);
      const started = performance.now();
      const { id } = await page.request(orchestratorTaskCreate, {
        prompt: promptFor(marker),
        folders: [notes.root],
        approvalMode: 'auto',
      });
      await withDeadline(
        Promise.race([script.answered(marker), events.final(id)]),
        TASK_DEADLINE_MS,
        `task ${marker}`,
      );
      let view = await page.request(orchestratorTaskGet, { taskId: id });
      const settleBy = Date.now() + 30_000;
      while (!FINAL_TASK_STATUSES.includes(view.status) && Date.now() < settleBy) {
        await sleep(20);
        view = await page.request(orchestratorTaskGet, { taskId: id });
      }
      const wallMs = performance.now() - started;
      if (view.status !== 'completed')
        throw new Broken(`task ${marker} (${id}) ended ${view.status}: ${view.error ?? 'no error given'}`);
      const done = view.toolCalls.filter((call) => call.tool === 'read_file' && call.status === 'done');
      if (done.length !== calls || view.toolCalls.length !== calls)
        throw new Broken(
          `task ${marker} made ${view.toolCalls.length} calls (${done.length} reads done), expected ${calls}`,
        );
      if (script.problems.length > 0) throw new Broken(`the model saw: ${script.problems.join('; ')}`);
      const run: TaskRun = { marker, calls, view, wallMs, perCallMs: perCallTimes(marker, calls) };
      taskViews.push({ run, turns: calls + 1 });
      return run;
    };

    /** The loop's time per call, read off the model server's exchanges of the task's turns. */
    const perCallTimes = (marker: string, calls: number): Float64Array => {
      const indexes = script.turnIndexes(marker);
      if (indexes.length !== calls + 1)
        throw new Broken(`task ${marker} sent ${indexes.length} model requests, expected ${calls + 1}`);
      const records = modelServer.requests;
      const samples = new Float64Array(calls);
      for (let k = 0; k < calls; k++) {
        const answered = exchanges.exchange(indexes[k] ?? -1);
        const next = exchanges.exchange(indexes[k + 1] ?? -1);
        for (const exchange of [answered, next]) {
          const record = records[exchange.index];
          if (record?.path !== exchange.path || record.method !== exchange.method)
            throw new Error(`the exchange clock lost step with the model server at #${exchange.index}`);
        }
        if (answered.finishMs === undefined)
          throw new Error(`the model server never finished exchange #${answered.index}`);
        samples[k] = next.startMs - answered.finishMs;
      }
      return samples;
    };

    const bodiesOf = (marker: string): unknown[] => {
      const records = modelServer.requests;
      return script.turnIndexes(marker).map((index) => records[index]?.body);
    };

    console.log(
      `orchestrator loop on 127.0.0.1: nats-server ${bus.version}, node ${process.version}, ` +
        `${cpus().length} cpu(s), ${cpus()[0]?.model ?? 'unknown'}\n` +
        `started: fs-service ${fsService.startMs.toFixed(0)} ms, orchestrator ${orchestrator.startMs.toFixed(0)} ms ` +
        `(model ${MODEL} at ${modelServer.url}), bare reader ${bareReader.startMs.toFixed(0)} ms; no vm-service\n` +
        `notes: ${notes.files.length} files of ${Math.min(...notes.files.map((f) => f.bytes))}–` +
        `${Math.max(...notes.files.map((f) => f.bytes))} bytes in ${notes.root}\n` +
        `${ROUNDS} rounds of one task of ${CALLS} read_file turns + a final answer (bare reads: ${BARE_WARMUP} ` +
        `warm-up + ${BARE_COUNT} measured, ${IN_PROCESS_COUNT} fs.readFile in process, then the SDK replay); ` +
        `settled first with a task of ${SETTLE_CALLS} reads; then ${CONCURRENT_TASKS} tasks × ${CONCURRENT_CALLS} reads at once`,
    );

    const settle = await runTask('settle', SETTLE_CALLS);
    await replayWithSdk(sdk, exchanges, bodiesOf(settle.marker));
    await replayWithSdk(sdk, exchanges, bodiesOf(settle.marker));
    await bareReads(bareClient, notes.files, 1_000);

    const rounds: Round[] = [];
    if (profileDir !== undefined) startProfiling(orchestrator.pid);
    for (let round = 1; round <= ROUNDS; round++) {
      globalThis.gc?.();
      await bareReads(bareClient, notes.files, BARE_WARMUP);
      const bareRead = summarize(await bareReads(bareClient, notes.files, BARE_COUNT));
      const inProcessRead = summarize(await inProcessReads(notes.files, IN_PROCESS_COUNT));
      globalThis.gc?.();
      const cpuBefore = processCpuMicros(orchestrator.pid) ?? Number.NaN;
      const run = await runTask(`loop-${round}`, CALLS);
      const cpuAfter = processCpuMicros(orchestrator.pid) ?? Number.NaN;
      const shares: SdkShare[] = await replayWithSdk(sdk, exchanges, bodiesOf(run.marker));
      // Call k's window holds the SDK taking in answer k and sending request k + 1.
      const sdkShare = Float64Array.from(
        { length: CALLS },
        (_, k) => (shares[k]?.receiveMs ?? Number.NaN) + (shares[k + 1]?.sendMs ?? Number.NaN),
      );
      const lessSdk = run.perCallMs.map((value, k) => value - (sdkShare[k] ?? Number.NaN));
      const perCall = summarize(run.perCallMs);
      const traced = await spans.taskSpans(run.view.id, CALLS + 1);
      const loop = summarize(
        Float64Array.from({ length: CALLS }, (_, k) => {
          const answered = traced.chats[k];
          const next = traced.chats[k + 1];
          return answered === undefined || next === undefined ? Number.NaN : next.startMs - answered.endMs;
        }),
      );
      const executeTool = summarize(Float64Array.from(traced.tools, (span) => span.endMs - span.startMs));
      // Read as far apart as the loop's reads are (its interval, less the read itself).
      const pace = Math.max(1, Math.round(perCall.p50Ms - bareRead.p50Ms));
      const bareReadPaced = summarize(await bareReads(bareClient, notes.files, PACED_COUNT, pace));
      const result: Round = {
        round,
        loop,
        executeTool,
        bareReadPaced,
        loopOverheadP50Ms: loop.p50Ms - bareReadPaced.p50Ms,
        loopP99OverP50: loop.p99Ms / loop.p50Ms,
        perCall,
        firstCallsP50Ms: summarize(slice(run.perCallMs, 0, EDGE_CALLS)).p50Ms,
        lastCallsP50Ms: summarize(slice(run.perCallMs, CALLS - EDGE_CALLS, CALLS)).p50Ms,
        bareRead,
        inProcessRead,
        sdkShare: summarize(sdkShare),
        sdkReceive: summarize(Float64Array.from(shares.slice(0, CALLS), (share) => share.receiveMs)),
        sdkSend: summarize(Float64Array.from(shares.slice(1), (share) => share.sendMs)),
        perCallLessSdk: summarize(lessSdk),
        overheadP50Ms: perCall.p50Ms - bareRead.p50Ms,
        p99OverP50: perCall.p99Ms / perCall.p50Ms,
        taskWallMs: run.wallMs,
        orchestratorCpuMicrosPerCall: (cpuAfter - cpuBefore) / CALLS,
        orchestratorMemory: processMemory(orchestrator.pid),
        perCallMs: Array.from(run.perCallMs, (value) => Math.round(value * 1000) / 1000),
      };
      rounds.push(result);
      console.log(
        `  round ${round}: loop (inside) p50 ${ms(loop.p50Ms)} ms, p99 ${ms(loop.p99Ms)} ms ` +
          `(${times(result.loopP99OverP50)}); execute_tool p50 ${ms(executeTool.p50Ms)} ms; bare read paced ` +
          `${pace} ms apart p50 ${ms(bareReadPaced.p50Ms)} ms → loop overhead p50 ${ms(result.loopOverheadP50Ms)} ms\n` +
          `           per call p50 ${ms(perCall.p50Ms)} ms, p99 ${ms(perCall.p99Ms)} ms ` +
          `(${times(result.p99OverP50)}); first ${EDGE_CALLS} p50 ${ms(result.firstCallsP50Ms)}, last ${EDGE_CALLS} ` +
          `p50 ${ms(result.lastCallsP50Ms)}; bare read p50 ${ms(bareRead.p50Ms)} → overhead p50 ` +
          `${ms(result.overheadP50Ms)} ms; SDK share p50 ${ms(result.sdkShare.p50Ms)} ms; task ${(run.wallMs / 1000).toFixed(1)} s`,
      );
    }
    const profileFile =
      profileDir === undefined ? undefined : await stopProfiling(orchestrator.pid, profileDir);

    globalThis.gc?.();
    const markers = Array.from({ length: CONCURRENT_TASKS }, (_, i) => `concurrent-${i}`);
    const concurrentStarted = performance.now();
    const concurrentCpuBefore = processCpuMicros(orchestrator.pid) ?? Number.NaN;
    // Every task is asked for before any answer: a task that breaks is reported, the others go on.
    const settled = await Promise.allSettled(markers.map((marker) => runTask(marker, CONCURRENT_CALLS)));
    const concurrentWallMs = performance.now() - concurrentStarted;
    const concurrentCpuMicros = (processCpuMicros(orchestrator.pid) ?? Number.NaN) - concurrentCpuBefore;
    const concurrentRuns = settled.flatMap((outcome) =>
      outcome.status === 'fulfilled' ? [outcome.value] : [],
    );
    const concurrentFailures = settled.flatMap((outcome, i) =>
      outcome.status === 'rejected' ? [`${markers[i] ?? ''}: ${describe(outcome.reason)}`] : [],
    );
    const concurrentPerCall = summarize(
      Float64Array.from(concurrentRuns.flatMap((run) => Array.from(run.perCallMs))),
    );
    const concurrentCalls = concurrentRuns.length * CONCURRENT_CALLS;

    // Each task's last event is its final status: once it is in (or overdue), nothing more comes.
    await Promise.all(
      taskViews.map(({ run }) =>
        withDeadline(events.final(run.view.id), EVENT_GRACE_MS, `the final event of ${run.marker}`).catch(
          () => undefined,
        ),
      ),
    );
    const audits: TaskAudit[] = taskViews.map(({ run, turns }) =>
      auditTask(run.view, events.eventsOf(run.view.id), turns),
    );
    const lost = audits.flatMap((audit) => audit.lost.map((what) => `${audit.taskId}: ${what}`));
    const duplicates = audits.flatMap((audit) => audit.duplicates.map((what) => `${audit.taskId}: ${what}`));
    const outOfOrder = audits.flatMap((audit) => audit.outOfOrder.map((what) => `${audit.taskId}: ${what}`));
    const concurrentIds = new Set(concurrentRuns.map((run) => run.view.id));
    const concurrentLost = audits
      .filter((audit) => concurrentIds.has(audit.taskId))
      .reduce((sum, audit) => sum + audit.lost.length, 0);
    const orchestratorMemory = processMemory(orchestrator.pid);

    console.log(
      `  ${CONCURRENT_TASKS} tasks at once (${concurrentRuns.length} completed): ${concurrentCalls} calls in ${(concurrentWallMs / 1000).toFixed(1)} s ` +
        `(${(concurrentCalls / (concurrentWallMs / 1000)).toFixed(0)} calls/s), per call p50 ` +
        `${ms(concurrentPerCall.p50Ms)} ms, p99 ${ms(concurrentPerCall.p99Ms)} ms; orchestrator CPU ` +
        `${(concurrentCpuMicros / concurrentCalls).toFixed(0)} µs/call; events these tasks owe and never ` +
        `sent: ${concurrentLost}`,
    );
    for (const failure of concurrentFailures) console.log(`    broken: ${failure}`);

    const figure = (pick: (round: Round) => number): number => median(rounds.map(pick));
    const summaryRows: Array<[string, (round: Round) => LatencySummary]> = [
      ['loop, inside (chat end → next chat start)', (r) => r.loop],
      ['  execute_tool span', (r) => r.executeTool],
      ['bare read, paced like the loop', (r) => r.bareReadPaced],
      ['per tool call, at the model server', (r) => r.perCall],
      ['bare read (bus + fs.readFile)', (r) => r.bareRead],
      ['fs.readFile in process', (r) => r.inProcessRead],
      ['SDK share (bare client replay)', (r) => r.sdkShare],
      ['  taking in the answer', (r) => r.sdkReceive],
      ['  sending the next request', (r) => r.sdkSend],
      ['per tool call − SDK share', (r) => r.perCallLessSdk],
    ];
    console.log('');
    console.log(row(['', 'p50 ms', 'p99 ms', 'mean ms', 'max ms']));
    for (const [label, of] of summaryRows) {
      console.log(
        row([
          label,
          ms(figure((r) => of(r).p50Ms)),
          ms(figure((r) => of(r).p99Ms)),
          ms(figure((r) => of(r).meanMs)),
          ms(figure((r) => of(r).maxMs)),
        ]),
      );
    }
    const loopOverheadP50 = figure((r) => r.loopOverheadP50Ms);
    const loopP99OverP50 = figure((r) => r.loopP99OverP50);
    const overheadP50 = figure((r) => r.overheadP50Ms);
    const p99OverP50 = figure((r) => r.p99OverP50);
    const overheadLessSdkP50 = figure((r) => r.perCallLessSdk.p50Ms - r.bareRead.p50Ms);
    console.log(
      row(['loop overhead p50 (loop − paced bare read)', ms(loopOverheadP50), '', '', '']) +
        `\n${row(['per call overhead p50 (per call − bare read)', ms(overheadP50), '', '', ''])}` +
        `\n${row(['  of which not the SDK', ms(overheadLessSdkP50), '', '', ''])}`,
    );
    console.log(
      `figures: median over rounds of each round's figure; loop p99/p50 ${times(loopP99OverP50)}, per call ` +
        `p99/p50 ${times(p99OverP50)}; ` +
        `first ${EDGE_CALLS} calls p50 ${ms(figure((r) => r.firstCallsP50Ms))} ms, last ${EDGE_CALLS} ` +
        `p50 ${ms(figure((r) => r.lastCallsP50Ms))} ms (the conversation grows to ${2 * CALLS + 1} messages)\n` +
        `orchestrator: CPU ${figure((r) => r.orchestratorCpuMicrosPerCall).toFixed(0)} µs per call of the ` +
        `measured task (at /proc clock-tick resolution), memory ${memory(orchestratorMemory)} ` +
        `(${mb(orchestratorMemoryAtStart?.rssBytes)} when it was ready)\n` +
        `events: ${events.received} received for ${audits.length} tasks; lost ${lost.length}, duplicated ` +
        `${duplicates.length}, out of order ${outOfOrder.length}, malformed ${events.malformed.length}`,
    );
    for (const line of grouped([...lost, ...duplicates, ...outOfOrder, ...events.malformed]).slice(0, 20))
      console.log(`  ${line}`);
    await events.stop();

    let profile: ProfileSummary | undefined;
    if (profileFile !== undefined) {
      profile = summarizeProfile(profileFile);
      console.log(
        `\norchestrator CPU profile over the rounds: ${profile.busyMs.toFixed(0)} ms busy, ` +
          `${profile.idleMs.toFixed(0)} ms idle (${profile.file})`,
      );
      const list = (title: string, entries: ProfileSummary['topSelf']): void => {
        console.log(`  ${title}:`);
        for (const entry of entries)
          console.log(
            `    ${entry.ms.toFixed(0).padStart(7)} ms ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}`,
          );
      };
      list('by package', profile.byArea);
      list('self time', profile.topSelf);
      list('total time (self and callees)', profile.topTotal);
    }

    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          benchmark: 'orchestrator-loop',
          finishedAt: new Date().toISOString(),
          environment: {
            node: process.version,
            natsServer: bus.version,
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
          },
          settings: {
            rounds: ROUNDS,
            callsPerTask: CALLS,
            settleCalls: SETTLE_CALLS,
            bareWarmup: BARE_WARMUP,
            bareReads: BARE_COUNT,
            inProcessReads: IN_PROCESS_COUNT,
            concurrentTasks: CONCURRENT_TASKS,
            concurrentCallsPerTask: CONCURRENT_CALLS,
            model: MODEL,
            files: notes.files.map((file) => file.bytes),
            loop: 'inside the orchestrator, from its spans: chat span end (the tool_use arrived) → next chat span start (the tool_result handed to the SDK)',
            bareReadPaced: 'the bare read with the loop’s interval between reads',
            perCall:
              'model server handed off the answer carrying the tool_use → the request carrying its tool_result arrived',
            bareRead: 'bare NATS request → fs.readFile in the bare reader → the file’s bytes',
            sdkShare:
              'bare SDK client in the bench process replaying the task’s requests: answer k taken in + request k+1 sent',
            statistic: 'median over rounds of each round’s figure',
            targets: {
              loopOverheadP50Ms: `< ${TARGET_OVERHEAD_P50_MS}`,
              loopP99OverP50: `< ${TARGET_P99_OVER_P50}`,
              lostEvents: 0,
            },
          },
          startup: {
            fsServiceMs: fsService.startMs,
            orchestratorMs: orchestrator.startMs,
            bareReaderMs: bareReader.startMs,
          },
          figures: {
            loop: {
              p50Ms: figure((r) => r.loop.p50Ms),
              p99Ms: figure((r) => r.loop.p99Ms),
              meanMs: figure((r) => r.loop.meanMs),
            },
            executeToolP50Ms: figure((r) => r.executeTool.p50Ms),
            bareReadPacedP50Ms: figure((r) => r.bareReadPaced.p50Ms),
            loopOverheadP50Ms: loopOverheadP50,
            loopP99OverP50,
            perCall: {
              p50Ms: figure((r) => r.perCall.p50Ms),
              p99Ms: figure((r) => r.perCall.p99Ms),
              meanMs: figure((r) => r.perCall.meanMs),
            },
            overheadP50Ms: overheadP50,
            overheadLessSdkP50Ms: overheadLessSdkP50,
            p99OverP50,
            firstCallsP50Ms: figure((r) => r.firstCallsP50Ms),
            lastCallsP50Ms: figure((r) => r.lastCallsP50Ms),
            bareReadP50Ms: figure((r) => r.bareRead.p50Ms),
            inProcessReadP50Ms: figure((r) => r.inProcessRead.p50Ms),
            sdkShareP50Ms: figure((r) => r.sdkShare.p50Ms),
            sdkReceiveP50Ms: figure((r) => r.sdkReceive.p50Ms),
            sdkSendP50Ms: figure((r) => r.sdkSend.p50Ms),
            orchestratorCpuMicrosPerCall: figure((r) => r.orchestratorCpuMicrosPerCall),
          },
          concurrent: {
            tasks: CONCURRENT_TASKS,
            callsPerTask: CONCURRENT_CALLS,
            wallMs: concurrentWallMs,
            callsPerSecond: concurrentCalls / (concurrentWallMs / 1000),
            perCall: concurrentPerCall,
            orchestratorCpuMicrosPerCall: concurrentCpuMicros / concurrentCalls,
            completed: concurrentRuns.length,
            failures: concurrentFailures,
            lostEvents: concurrentLost,
          },
          events: {
            received: events.received,
            tasks: audits.length,
            lost,
            duplicates,
            outOfOrder,
            malformed: events.malformed,
          },
          memory: {
            orchestratorAtStart: orchestratorMemoryAtStart,
            orchestratorAtEnd: orchestratorMemory,
            benchmarkRssBytes: process.memoryUsage.rss(),
          },
          profile: profile ?? null,
          rounds,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`figures written to ${RESULTS_FILE}`);

    const verdict = (met: boolean): string => (met ? 'met' : 'missed');
    console.log(
      `orchestrator-loop: loop overhead per tool call p50 ${ms(loopOverheadP50)} ms (target < ${TARGET_OVERHEAD_P50_MS} ms: ` +
        `${verdict(loopOverheadP50 < TARGET_OVERHEAD_P50_MS)}), loop p99/p50 ${times(loopP99OverP50)} (target < ` +
        `${TARGET_P99_OVER_P50}x: ${verdict(loopP99OverP50 < TARGET_P99_OVER_P50)}), lost events ${lost.length} ` +
        `(target 0: ${verdict(lost.length === 0)}); at the model server, SDK and HTTP included: ${ms(overheadP50)} ms ` +
        `over the bare read, p99/p50 ${times(p99OverP50)}`,
    );
    if (modelServer.problems.length > 0)
      throw new Broken(`the model server saw: ${modelServer.problems.join('; ')}`);
    if (concurrentFailures.length > 0)
      throw new Broken(
        `${concurrentFailures.length} of ${CONCURRENT_TASKS} tasks run at once broke:\n  ${concurrentFailures.join('\n  ')}`,
      );
  } catch (error) {
    if (orchestratorLog !== undefined)
      console.error(`the orchestrator's last words:\n${orchestratorLog().split('\n').slice(-40).join('\n')}`);
    throw error;
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(
    `orchestrator-loop benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
