import 'reflect-metadata';
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StewardError, type TaskEvent } from '@steward/contracts';
import type { EventReplay, StoredEvent } from '@steward/messaging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorEnvelopeFilter } from '../http/error.filter.js';
import { SSE_HEARTBEAT_MS, TaskEventsController } from './task-events.controller.js';
import { TaskEventSource } from './task-event-source.service.js';

/** A replay the test feeds by hand, as the JetStream reader would. */
class FakeReplay implements EventReplay {
  readonly consumerName = 'fake';
  closed = false;
  private queue: StoredEvent[] = [];
  private wake: (() => void) | undefined;

  push(...events: StoredEvent[]): void {
    this.queue.push(...events);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    try {
      while (!this.closed) {
        const next = this.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.closed = true;
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    return Promise.resolve();
  }
}

class FakeSource {
  opened: Array<{ taskId: string; afterSeq: number | undefined }> = [];
  replays: FakeReplay[] = [];
  refuse: StewardError | undefined;

  replay(taskId: string, afterSeq: number | undefined): Promise<EventReplay> {
    this.opened.push({ taskId, afterSeq });
    if (this.refuse) return Promise.reject(this.refuse);
    const replay = new FakeReplay();
    this.replays.push(replay);
    return Promise.resolve(replay);
  }
}

const stored = (
  seq: number,
  taskId: string,
  kind: TaskEvent['kind'],
  data: Record<string, unknown> = {},
) => ({
  seq,
  subject: `events.orchestrator.task.${taskId}.${kind}`,
  body: { taskId, kind, at: '2026-01-01T00:00:00.000Z', data } satisfies TaskEvent,
});

/** An open SSE response, read as a browser would, as text. */
async function open(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  let text = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Aborted by the test.
    }
  })();
  return {
    res,
    text: () => text,
    async until(check: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!check(text)) {
        if (Date.now() > deadline) throw new Error(`stream did not get there; it has:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return text;
    },
    async close(): Promise<void> {
      abort.abort();
      await pump;
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('GET /api/tasks/:id/events', () => {
  const source = new FakeSource();
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    @Module({
      controllers: [TaskEventsController],
      providers: [
        { provide: TaskEventSource, useValue: source },
        { provide: SSE_HEARTBEAT_MS, useValue: 40 },
      ],
    })
    class TestModule {}
    app = await NestFactory.create(TestModule, { logger: false });
    app.useGlobalFilters(new ErrorEnvelopeFilter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    // Open event streams would otherwise hold the server open until their sockets time out.
    (app?.getHttpServer() as Server | undefined)?.closeAllConnections();
    await app?.close();
  });

  beforeEach(() => {
    source.opened = [];
    source.replays = [];
    source.refuse = undefined;
  });

  it('sends each task event with its stream sequence as id and its kind as event name', async () => {
    const stream = await open(`${base}/api/tasks/t_1/events`);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.res.headers.get('cache-control')).toContain('no-cache');
    expect(source.opened).toEqual([{ taskId: 't_1', afterSeq: undefined }]);

    const replay = source.replays[0]!;
    replay.push(
      stored(7, 't_1', 'status', { status: 'running' }),
      stored(9, 't_1', 'text', { delta: 'hé\nllo' }),
    );
    const text = await stream.until((t) => t.includes('id: 9'));
    expect(text).toContain(
      `id: 7\nevent: status\ndata: ${JSON.stringify(stored(7, 't_1', 'status', { status: 'running' }).body)}\n\n`,
    );
    // A newline inside the event stays inside its JSON: one data line per event.
    expect(text).toContain(
      `id: 9\nevent: text\ndata: {"taskId":"t_1","kind":"text","at":"2026-01-01T00:00:00.000Z","data":{"delta":"hé\\nllo"}}\n\n`,
    );
    await stream.close();
  });

  it('skips what is not a task event of this task', async () => {
    const stream = await open(`${base}/api/tasks/t_1/events`);
    const replay = source.replays[0]!;
    replay.push(
      { seq: 1, subject: 'events.orchestrator.task.t_1.text', body: { hello: 'world' } },
      stored(2, 't_2', 'text'),
      stored(3, 't_1', 'todos'),
    );
    const text = await stream.until((t) => t.includes('id: 3'));
    expect(text).not.toContain('id: 1\n');
    expect(text).not.toContain('id: 2\n');
    await stream.close();
  });

  it('resumes after Last-Event-ID, which wins over ?after= from the first address', async () => {
    const first = await open(`${base}/api/tasks/t_1/events?after=12`);
    await first.close();
    const second = await open(`${base}/api/tasks/t_1/events?after=12`, { 'last-event-id': '40' });
    await second.close();
    expect(source.opened).toEqual([
      { taskId: 't_1', afterSeq: 12 },
      { taskId: 't_1', afterSeq: 40 },
    ]);
  });

  it('comments a heartbeat while nothing happens', async () => {
    const stream = await open(`${base}/api/tasks/t_1/events`);
    await stream.until((t) => t.split(': keepalive\n\n').length >= 3);
    await stream.close();
  });

  it('closing the page releases the replay', async () => {
    const stream = await open(`${base}/api/tasks/t_1/events`);
    source.replays[0]!.push(stored(1, 't_1', 'created'));
    await stream.until((t) => t.includes('id: 1'));
    await stream.close();
    await until(() => source.replays[0]!.closed);
  });

  it.each([
    ['a bad task id', '/api/tasks/t.1/events', {}],
    ['a Last-Event-ID that is not a sequence', '/api/tasks/t_1/events', { 'last-event-id': 'abc' }],
    ['a negative ?after=', '/api/tasks/t_1/events?after=-1', {}],
    ['an unknown parameter', '/api/tasks/t_1/events?from=3', {}],
  ])('%s is a 400 envelope and opens nothing', async (_label, path, headers) => {
    const res = await fetch(`${base}${path}`, { headers });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    expect(source.opened).toEqual([]);
  });

  it('a stream that cannot be opened is an error envelope, not an empty stream', async () => {
    source.refuse = new StewardError('UNAVAILABLE', 'the task event stream does not exist yet');
    const res = await fetch(`${base}/api/tasks/t_1/events`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'UNAVAILABLE', message: 'the task event stream does not exist yet', retryable: true },
    });
  });
});
