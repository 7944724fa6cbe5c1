import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { errors, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  isStewardError,
  type StewardError,
  TASK_EVENT_STREAM,
  type ServiceName,
  type TaskEvent,
} from '@steward/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBus,
  ensureTaskEventStream,
  TASK_EVENT_STREAM_LIMITS,
  TaskEventLog,
  TaskEventReader,
  type EventReplay,
  type StoredEvent,
} from '../src/index.js';
import { startNatsServer, waitForPort } from '../../../tests/support/nats-server.js';

/** A real nats-server with the config `steward up` generates, which can be stopped and started again on its store. */
class Server {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'steward-event-log-'));
  passwords!: Record<ServiceName, string>;
  port = 0;

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Takes the generated config (users, passwords, port) of a support server, with the store moved here. */
  async configure(): Promise<void> {
    const generated = await startNatsServer();
    await generated.stop();
    this.port = generated.port;
    this.passwords = { ...generated.passwords };
    const config = generated.configText.replace(generated.dir, this.dir);
    expect(config).toContain(`store_dir: ${JSON.stringify(join(this.dir, 'jetstream'))}`);
    writeFileSync(join(this.dir, 'nats-server.conf'), config, { mode: 0o600 });
  }

  async start(): Promise<void> {
    this.child = spawn('nats-server', ['-c', join(this.dir, 'nats-server.conf')], { stdio: 'ignore' });
    await waitForPort(this.port);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  credentials(service: ServiceName): { servers: string; user: string; pass: string } {
    return { servers: this.url, user: service, pass: this.passwords[service] };
  }

  connect(service: ServiceName): Promise<NatsConnection> {
    return connectBus(service, this.credentials(service));
  }
}

const subjectOf = (taskId: string, kind: TaskEvent['kind']): string =>
  `events.orchestrator.task.${taskId}.${kind}`;

function event(taskId: string, n: number): TaskEvent {
  return { taskId, kind: 'text', at: new Date().toISOString(), data: { n } };
}

/** Reads `count` events from a replay, failing instead of hanging when they do not come. */
async function take(replay: EventReplay, count: number, timeoutMs = 15_000): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  if (count === 0) return got;
  const iterator = replay[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    const left = deadline - Date.now();
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, left))),
    ]);
    if (next === 'timeout') throw new Error(`only ${got.length} of ${count} events arrived`);
    if (next.done) break;
    got.push(next.value);
  }
  return got;
}

/** Collects what a replay delivers in the background, until it is closed. */
function collect(replay: EventReplay): { events: StoredEvent[]; done: Promise<void> } {
  const events: StoredEvent[] = [];
  const done = (async () => {
    for await (const stored of replay) events.push(stored);
  })();
  return { events, done };
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function failure(promise: Promise<unknown>): Promise<StewardError> {
  try {
    await promise;
  } catch (error) {
    if (isStewardError(error)) return error;
    throw error;
  }
  throw new Error('expected a StewardError');
}

/** Whether nats-server itself refused the request for lack of permission. */
async function refusedByServer(promise: Promise<unknown>): Promise<boolean> {
  try {
    await promise;
    return false;
  } catch (error) {
    const cause = error instanceof errors.RequestError ? error.cause : error;
    return cause instanceof errors.PermissionViolationError;
  }
}

const taskNumber = (stored: StoredEvent): number => ((stored.body as TaskEvent).data as { n: number }).n;

describe('task event log (JetStream) against a real nats-server', () => {
  const server = new Server();
  let orchestrator: NatsConnection;
  let ui: NatsConnection;
  let log: TaskEventLog;
  let reader: TaskEventReader;

  const consumerCount = async (): Promise<number> => {
    const jsm = await jetstreamManager(ui, { checkAPI: false });
    return (await jsm.streams.info(TASK_EVENT_STREAM)).state.consumer_count;
  };

  beforeAll(async () => {
    await server.configure();
    await server.start();
    orchestrator = await server.connect('orchestrator');
    ui = await server.connect('ui');
    log = await TaskEventLog.open(orchestrator, { ackTimeoutMs: 1_000 });
    reader = TaskEventReader.on(ui);
  });

  afterAll(async () => {
    await reader?.close();
    await log?.close();
    await Promise.all([orchestrator?.close(), ui?.close()]);
    await server.stop();
    rmSync(server.dir, { recursive: true, force: true });
  });

  it('the writer made the stream with exactly its settings, and puts back settings that drifted', async () => {
    const jsm = await jetstreamManager(orchestrator, { checkAPI: false });
    const info = await jsm.streams.info(TASK_EVENT_STREAM);
    expect(info.config).toMatchObject({
      subjects: ['events.orchestrator.task.>'],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      max_age: nanos(30 * 24 * 60 * 60 * 1000),
      max_bytes: 1024 ** 3,
      duplicate_window: nanos(TASK_EVENT_STREAM_LIMITS.duplicateWindowMs),
      num_replicas: 1,
    });
    expect(await ensureTaskEventStream(orchestrator)).toBe('unchanged');

    await jsm.streams.update(TASK_EVENT_STREAM, { max_age: nanos(60 * 60_000), max_bytes: 1024 * 1024 });
    expect(await ensureTaskEventStream(orchestrator)).toBe('updated');
    const repaired = await jsm.streams.info(TASK_EVENT_STREAM);
    expect(repaired.config.max_age).toBe(nanos(30 * 24 * 60 * 60 * 1000));
    expect(repaired.config.max_bytes).toBe(1024 ** 3);
  });

  it('1,000 events appended by 20 concurrent tasks are all stored, in the order they were appended', async () => {
    const appended: Array<{ taskId: string; n: number; seq: Promise<number> }> = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, t) => {
        const taskId = `bulk-${t}`;
        for (let n = 0; n < 50; n++) {
          // Not awaited: the tasks keep many appends in flight, interleaved with one another.
          appended.push({ taskId, n, seq: log.append(subjectOf(taskId, 'text'), event(taskId, n)) });
          if (n % 7 === t % 7) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    const seqs = await Promise.all(appended.map((a) => a.seq));
    expect(new Set(seqs).size).toBe(1_000);
    // The stream's order is exactly the order of the append calls, across all tasks.
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);

    const replay = await reader.replay('events.orchestrator.task.>', undefined);
    const stored = (await take(replay, seqs.at(-1)!)).filter((e) => e.subject.includes('.bulk-'));
    await replay.close();
    expect(stored.map((e) => e.seq)).toEqual(seqs);
    expect(stored.map((e) => [(e.body as TaskEvent).taskId, taskNumber(e)])).toEqual(
      appended.map((a) => [a.taskId, a.n]),
    );
    for (let t = 0; t < 20; t++) {
      const own = stored.filter((e) => (e.body as TaskEvent).taskId === `bulk-${t}`).map(taskNumber);
      expect(own).toEqual(Array.from({ length: 50 }, (_, n) => n));
    }
  });

  it('replays one task from the start, and from a middle sequence exactly what came after it', async () => {
    const all = await reader.replay('events.orchestrator.task.bulk-7.>', undefined);
    const everything = await take(all, 50);
    await all.close();
    expect(everything.map(taskNumber)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(everything.every((e) => e.subject === 'events.orchestrator.task.bulk-7.text')).toBe(true);

    const middle = everything[24]!.seq;
    const rest = await reader.replay('events.orchestrator.task.bulk-7.>', middle);
    const after = await take(rest, 25);
    await rest.close();
    expect(after.map((e) => e.seq)).toEqual(everything.slice(25).map((e) => e.seq));
  });

  it('goes on from stored to live events with no gap and no duplicate at the switch', async () => {
    const taskId = 'live-1';
    for (let n = 0; n < 300; n++) void log.append(subjectOf(taskId, 'text'), event(taskId, n));
    await log.flush();
    const replay = await reader.replay(`events.orchestrator.task.${taskId}.>`, undefined);
    const { events, done } = collect(replay);
    // Appended while the stored ones are still being delivered, and after.
    for (let n = 300; n < 600; n++) {
      void log.append(subjectOf(taskId, 'text'), event(taskId, n));
      if (n % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await log.flush();
    await until(() => events.length >= 600);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await replay.close();
    await done;
    expect(events.map(taskNumber)).toEqual(Array.from({ length: 600 }, (_, n) => n));
    for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
  });

  it('a retried append with the same message id is stored once', async () => {
    const subject = subjectOf('idem-1', 'status');
    const first = await log.append(subject, event('idem-1', 1), { msgId: 'idem-1-status-1' });
    const again = await log.append(subject, event('idem-1', 1), { msgId: 'idem-1-status-1' });
    expect(again).toBe(first);
    const replay = await reader.replay('events.orchestrator.task.idem-1.>', undefined);
    expect((await take(replay, 1)).map((e) => e.seq)).toEqual([first]);
    await replay.close();
  });

  it('keeps appending when another publisher wrote on the same subjects in between', async () => {
    const subject = subjectOf('mixed-1', 'text');
    await log.append(subject, event('mixed-1', 0));
    orchestrator.publish(subject, JSON.stringify(event('mixed-1', 1)));
    await orchestrator.flush();
    const seqs = await Promise.all([2, 3, 4].map((n) => log.append(subject, event('mixed-1', n))));
    const replay = await reader.replay('events.orchestrator.task.mixed-1.>', undefined);
    const stored = await take(replay, 5);
    await replay.close();
    expect(stored.map(taskNumber)).toEqual([0, 1, 2, 3, 4]);
    expect(stored.slice(2).map((e) => e.seq)).toEqual(seqs);
  });

  it('closing a replay, or leaving its loop, deletes its consumer on the server', async () => {
    expect(await consumerCount()).toBe(0);
    const replay = await reader.replay('events.orchestrator.task.bulk-1.>', undefined);
    expect(await consumerCount()).toBe(1);
    expect(reader.openReplays).toBe(1);
    await take(replay, 10);
    await replay.close();
    expect(await consumerCount()).toBe(0);
    expect(reader.openReplays).toBe(0);

    const second = await reader.replay('events.orchestrator.task.bulk-2.>', undefined);
    for await (const stored of second) if (taskNumber(stored) === 3) break;
    await until(() => reader.openReplays === 0);
    expect(await consumerCount()).toBe(0);
  });

  it('refuses a filter outside task events, a bad sequence, and a subject outside the stream', async () => {
    expect((await failure(reader.replay('events.fs.>', undefined))).code).toBe('INVALID_INPUT');
    expect((await failure(reader.replay('events.orchestrator.*.x.>', undefined))).code).toBe('INVALID_INPUT');
    expect((await failure(reader.replay('events.orchestrator.task.>', -1))).code).toBe('INVALID_INPUT');
    expect((await failure(log.append('events.orchestrator.policy.v1.changed', {}))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await failure(log.append(subjectOf('t', 'text'), { big: 'x'.repeat(9 * 1024 ** 2) }))).code).toBe(
      'TOO_LARGE',
    );
  });

  it('the server refuses what each user was not granted', async () => {
    const uiJsm = await jetstreamManager(ui, { checkAPI: false });
    expect(await refusedByServer(uiJsm.streams.delete(TASK_EVENT_STREAM))).toBe(true);
    expect(await refusedByServer(uiJsm.streams.purge(TASK_EVENT_STREAM))).toBe(true);
    expect(await refusedByServer(uiJsm.streams.add({ name: 'OTHER', subjects: ['events.ui.>'] }))).toBe(true);
    expect(
      await refusedByServer(
        uiJsm.consumers.add(TASK_EVENT_STREAM, { name: 'fs', filter_subject: 'events.fs.>' }),
      ),
    ).toBe(true);
    expect(
      await refusedByServer(
        uiJsm.consumers.add('OTHER', { name: 'x', filter_subject: 'events.orchestrator.task.>' }),
      ),
    ).toBe(true);
    const orchestratorJsm = await jetstreamManager(orchestrator, { checkAPI: false });
    expect(await refusedByServer(orchestratorJsm.streams.delete(TASK_EVENT_STREAM))).toBe(true);

    // The ui reads but never writes task events; the orchestrator writes but never reads them.
    const uiAsWriter = await TaskEventLog.open(ui);
    expect((await failure(uiAsWriter.append(subjectOf('forged', 'status'), event('forged', 0)))).code).toBe(
      'FORBIDDEN',
    );
    await uiAsWriter.close();
    const orchestratorAsReader = await failure(
      TaskEventReader.on(orchestrator).replay('events.orchestrator.task.>', undefined),
    );
    expect(orchestratorAsReader.code).toBe('FORBIDDEN');

    const fs = await server.connect('fs-service');
    try {
      expect((await failure(ensureTaskEventStream(fs))).code).toBe('FORBIDDEN');
      expect((await failure(TaskEventReader.on(fs).replay('events.orchestrator.task.>', 0))).code).toBe(
        'FORBIDDEN',
      );
    } finally {
      await fs.close();
    }
    expect(await consumerCount()).toBe(0);
  });

  it('keeps every event across a nats-server kill and restart; writer and live replay carry on in order', async () => {
    const taskId = 'restart-1';
    const before = await Promise.all(
      Array.from({ length: 100 }, (_, n) => log.append(subjectOf(taskId, 'text'), event(taskId, n))),
    );
    const live = await reader.replay(`events.orchestrator.task.${taskId}.>`, undefined);
    const { events, done } = collect(live);
    await until(() => events.length === 100);

    // Appends keep coming while the server is killed and started again: some are lost on the
    // wire, some wait in the client's buffer, some are refused until JetStream is back.
    let appending = true;
    const during: Array<Promise<number>> = [];
    const appender = (async () => {
      while (appending) {
        during.push(log.append(subjectOf(taskId, 'text'), event(taskId, 100 + during.length)));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    appending = false;
    await appender;
    const afterRestart = await Promise.all(during);
    const total = 100 + during.length;
    const seqs = [...before, ...afterRestart];
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);

    await until(() => events.length >= total, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await live.close();
    await done;
    expect(events.map(taskNumber)).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(events.map((e) => e.seq)).toEqual(seqs);

    const fresh = await reader.replay(`events.orchestrator.task.${taskId}.>`, undefined);
    expect((await take(fresh, total)).map((e) => e.seq)).toEqual(seqs);
    await fresh.close();
    expect(await consumerCount()).toBe(0);
  });
});
