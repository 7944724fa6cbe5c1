import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TASK_EVENT_STREAM, type TaskEvent } from '@steward/contracts';
import { TaskEventLog } from '@steward/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsePage } from '../support/sse-page.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/tasks.js';

/*
 * A page follows a task's events over SSE from the ui, which reads them from the JetStream task
 * event stream: what the page missed while it was away — even while the ui itself was killed and
 * restarted — arrives when it reconnects with Last-Event-ID, exactly once and in order.
 */

describe('task events over SSE, replayed from JetStream', () => {
  let stack: Stack;
  let log: TaskEventLog;
  let ui: NatsConnection;
  const taskId = 'sse-replay-1';
  const subject = (kind: TaskEvent['kind']): string => `events.orchestrator.task.${taskId}.${kind}`;
  let n = 0;

  /** Appends as the orchestrator does, through the task event log, as the `orchestrator` bus user. */
  async function append(kind: TaskEvent['kind'], count: number): Promise<number[]> {
    const seqs: number[] = [];
    for (let i = 0; i < count; i++) {
      const event: TaskEvent = { taskId, kind, at: new Date().toISOString(), data: { n: n++ } };
      seqs.push(await log.append(subject(kind), event));
    }
    return seqs;
  }

  /** Consumers on the task event stream, as the ui's own bus user may see them. */
  async function consumers(): Promise<number> {
    const jsm = await jetstreamManager(ui, { checkAPI: false });
    return (await jsm.streams.info(TASK_EVENT_STREAM)).state.consumer_count;
  }

  beforeAll(async () => {
    stack = await startStack();
    await stack.waitHealthy();
    log = await TaskEventLog.connect('orchestrator', stack.credentials('orchestrator'));
    const credentials = stack.credentials('ui');
    ui = await connect({
      servers: credentials.servers,
      user: credentials.user,
      pass: credentials.pass,
      inboxPrefix: '_INBOX.ui',
    });
  }, 180_000);

  afterAll(async () => {
    await log?.close();
    await ui?.close();
    await stack?.stop();
  });

  it('a page gets the stored events, then what it missed after reconnecting with Last-Event-ID', async () => {
    const first = await append('status', 2);
    const more = await append('text', 3);
    const page = new SsePage(stack, `/api/tasks/${taskId}/events`);
    const res = await page.open();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await page.until(5);
    expect(page.events.map((e) => Number(e.id))).toEqual([...first, ...more]);
    expect(page.events.map((e) => e.event)).toEqual(['status', 'status', 'text', 'text', 'text']);
    expect(page.taskEvents.map((e) => e.data['n'])).toEqual([0, 1, 2, 3, 4]);

    // Live: stored while the page is open.
    const live = await append('todos', 1);
    await page.until(6);
    expect(page.events[5]?.id).toBe(String(live[0]));
    await page.close();
    await eventually(
      async () => ((await consumers()) === 0 ? true : undefined),
      'the consumer to be released',
    );

    const missed = await append('text', 3);
    const again = new SsePage(stack, `/api/tasks/${taskId}/events`);
    await again.open(String(live[0]));
    await again.until(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(again.events.map((e) => Number(e.id))).toEqual(missed);
    expect(again.taskEvents.map((e) => e.data['n'])).toEqual([6, 7, 8]);
    await again.close();

    const resumed = new SsePage(stack, `/api/tasks/${taskId}/events?after=${missed[1]}`);
    await resumed.open();
    await resumed.until(1);
    expect(resumed.events.map((e) => Number(e.id))).toEqual([missed[2]]);
    await resumed.close();
  });

  it('the events also reach the /api/events hub, which keeps working beside the task streams', async () => {
    const hub = new SsePage(stack, `/api/events?prefix=events.orchestrator.task.${taskId}.`);
    expect((await hub.open()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await append('notice', 1);
    await hub.until(1);
    const delivered = JSON.parse(hub.events[0]!.data) as { subject: string; data: TaskEvent };
    expect(delivered.subject).toBe(subject('notice'));
    expect(delivered.data.kind).toBe('notice');
    await hub.close();
  });

  it('replay still works after the ui is killed and restarted by the supervisor', async () => {
    const everything = new SsePage(stack, `/api/tasks/${taskId}/events`);
    await everything.open();
    await everything.until(n);
    const lastSeen = everything.events.at(-1)!.id!;
    await everything.close();

    const before = stack.pid('ui');
    expect(before).toBeDefined();
    process.kill(before!, 'SIGKILL');
    const missed = await append('text', 2);
    await eventually(async () => {
      const now = stack.pid('ui');
      return now !== undefined && now !== before ? now : undefined;
    }, 'the ui to be restarted');
    await stack.waitHealthy(60_000);

    const page = new SsePage(stack, `/api/tasks/${taskId}/events`);
    expect((await page.open(lastSeen)).status).toBe(200);
    await page.until(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(page.events.map((e) => Number(e.id))).toEqual(missed);
    const live = await append('status', 1);
    await page.until(3);
    expect(page.events.map((e) => Number(e.id))).toEqual([...missed, ...live]);
    await page.close();
  });

  it('a bad task id is a 400 envelope; a request without the token is refused', async () => {
    const bad = await stack.api('/api/tasks/a.b/events');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    const anonymous = await fetch(`${stack.url}/api/tasks/${taskId}/events`);
    expect(anonymous.status).toBe(401);
  });
});
