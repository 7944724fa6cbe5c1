import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskStatus, TaskView } from '@steward/contracts';
import { ApiError, type TaskApi } from './task-client.js';
import { followTask, LostContactError, type ConnectionChange } from './task-follower.js';

const TASK = 't_follow';

function frame(id: number, kind: TaskEvent['kind'], data: Record<string, unknown>, taskId = TASK): string {
  const event: TaskEvent = { taskId, kind, at: '2026-01-01T00:00:00.000Z', data };
  return `id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

const view = (status: TaskStatus): TaskView => ({ id: TASK, status }) as TaskView;

type Connection = string[] | Error | 'hang';

/** The ui's event stream and task route, scripted connection by connection. */
class FakeApi implements Pick<TaskApi, 'events' | 'get'> {
  readonly resumedAfter: Array<string | undefined> = [];
  gets = 0;

  constructor(
    private readonly connections: Connection[],
    private readonly views: Array<TaskView | Error> = [],
  ) {}

  async events(
    _taskId: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>> {
    this.resumedAfter.push(lastEventId);
    const next = this.connections.shift() ?? new ApiError('UNAVAILABLE', 'no more connections scripted', 503);
    if (next instanceof Error) throw next;
    return (async function* () {
      if (next === 'hang') {
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
        return;
      }
      for (const chunk of next) yield chunk;
    })();
  }

  async get(): Promise<TaskView> {
    this.gets += 1;
    const next = this.views.shift() ?? new ApiError('UNAVAILABLE', 'down', 503);
    if (next instanceof Error) throw next;
    return next;
  }
}

async function follow(api: FakeApi, options: Partial<Parameters<typeof followTask>[3]> = {}) {
  const events: TaskEvent[] = [];
  const snapshots: TaskStatus[] = [];
  const changes: ConnectionChange[] = [];
  const status = await followTask(
    api as unknown as TaskApi,
    TASK,
    {
      onEvent: (event) => events.push(event),
      onSnapshot: (v) => snapshots.push(v.status),
      onConnection: (change) => changes.push(change),
    },
    { backoffMs: [0, 0], pollIntervalMs: 1, signal: new AbortController().signal, ...options },
  );
  return { status, events, snapshots, changes };
}

describe('followTask', () => {
  it('follows the stream to the final status, whole events only, however the chunks are cut', async () => {
    const all =
      frame(1, 'status', { status: 'running' }) +
      frame(2, 'text', { delta: 'Hi' }) +
      frame(3, 'status', { status: 'completed' });
    const chunks = all.match(/[\s\S]{1,7}/g) ?? [];
    const { status, events, changes } = await follow(new FakeApi([chunks]));
    expect(status).toBe('completed');
    expect(events.map((e) => e.kind)).toEqual(['status', 'text', 'status']);
    expect(changes).toEqual([]);
  });

  it('reconnects after a dropped stream with Last-Event-ID, and passes on no event twice', async () => {
    const api = new FakeApi([
      [frame(1, 'status', { status: 'running' }), frame(2, 'text', { delta: 'a' })],
      // A ui that replays one event too many must not make the answer stutter.
      [
        frame(2, 'text', { delta: 'a' }),
        frame(3, 'text', { delta: 'b' }),
        frame(4, 'status', { status: 'failed', error: 'x' }),
      ],
    ]);
    const { status, events, changes } = await follow(api);
    expect(status).toBe('failed');
    expect(api.resumedAfter).toEqual([undefined, '2']);
    expect(events.map((e) => e.data['delta'] ?? e.data['status'])).toEqual(['running', 'a', 'b', 'failed']);
    expect(changes).toEqual(['lost', 'reconnected']);
  });

  it('falls back to polling the task when the stream does not come back', async () => {
    const refused = new ApiError('UNAVAILABLE', 'the ui restarts', 503);
    const api = new FakeApi(
      [refused, refused, refused],
      [view('running'), view('waiting_approval'), view('completed')],
    );
    const { status, snapshots, changes } = await follow(api);
    expect(status).toBe('completed');
    expect(api.resumedAfter).toHaveLength(3);
    expect(snapshots).toEqual(['running', 'waiting_approval', 'completed']);
    expect(changes).toEqual(['lost', 'polling']);
  });

  it('goes back to the stream from polling once the ui answers, resuming where it stopped', async () => {
    const refused = new ApiError('UNAVAILABLE', 'down', 503);
    const api = new FakeApi(
      [
        [frame(5, 'status', { status: 'running' })],
        refused,
        refused,
        [frame(9, 'status', { status: 'cancelled' })],
      ],
      [view('running')],
    );
    const { status, changes, snapshots } = await follow(api, { streamRetryMs: 0 });
    expect(status).toBe('cancelled');
    expect(snapshots).toEqual(['running']);
    expect(api.resumedAfter).toEqual([undefined, '5', '5', '5']);
    expect(changes).toEqual(['lost', 'polling', 'reconnected']);
  });

  it('takes a stream that stays silent past the idle limit as dead and reconnects', async () => {
    const api = new FakeApi(['hang', [frame(1, 'status', { status: 'completed' })]]);
    const { status } = await follow(api, { idleTimeoutMs: 20 });
    expect(status).toBe('completed');
    expect(api.resumedAfter).toHaveLength(2);
  });

  it('gives up with a clear error when neither the stream nor the task answers for too long', async () => {
    const api = new FakeApi([]);
    await expect(follow(api, { giveUpAfterMs: 30 })).rejects.toThrow(LostContactError);
    await expect(follow(new FakeApi([]), { giveUpAfterMs: 30 })).rejects.toThrow(
      /lost contact.*may still be running/,
    );
  });

  it('skips events of other tasks and bodies that are not task events', async () => {
    const api = new FakeApi([
      [
        frame(1, 'text', { delta: 'other' }, 't_other'),
        'id: 2\nevent: text\ndata: {not json\n\n',
        'id: 3\nevent: text\ndata: {"kind":"text"}\n\n',
        frame(4, 'status', { status: 'interrupted' }),
      ],
    ]);
    const { status, events } = await follow(api);
    expect(status).toBe('interrupted');
    expect(events).toHaveLength(1);
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const api = new FakeApi(['hang']);
    const pending = follow(api, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await expect(pending).rejects.toThrow();
  });
});
