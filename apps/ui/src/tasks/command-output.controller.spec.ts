import 'reflect-metadata';
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execIdOf, type RpcDefinition, type TaskView } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventHub } from '../events/event-hub.service.js';
import { ErrorEnvelopeFilter } from '../http/error.filter.js';
import { CommandOutputController } from './command-output.controller.js';
import { CommandOutputBuffer, OUTPUT_LIMITS } from './command-output.service.js';
import { SSE_HEARTBEAT_MS } from './task-events.controller.js';

const CALL = 'toolu_01:abc';
const EXEC = execIdOf(CALL);

function view(calls: Array<Partial<TaskView['toolCalls'][number]>>, status: TaskView['status'] = 'running') {
  return {
    id: 't_1',
    status,
    toolCalls: calls.map((call) => ({
      id: CALL,
      tool: 'run_command',
      input: { command: 'make' },
      status: 'running',
      isError: false,
      resultSummary: '',
      ...call,
    })),
  };
}

class FakeBus {
  asked: unknown[] = [];
  answer: () => unknown = () => view([{}]);
  request(_rpc: RpcDefinition, input: unknown): Promise<unknown> {
    this.asked.push(input);
    try {
      return Promise.resolve(this.answer());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

async function open(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  let text = '';
  let ended = false;
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
    } finally {
      ended = true;
    }
  })();
  return {
    res,
    text: () => text,
    ended: () => ended,
    async until(check: (text: string) => boolean): Promise<string> {
      const deadline = Date.now() + 5_000;
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

const piece = (seq: number, text: string, taskId = 't_1', stream = 'stdout') => ({
  taskId,
  execId: EXEC,
  seq,
  stream,
  text,
});
const outputFrame = (seq: number, text: string, stream = 'stdout') =>
  `id: ${seq}\nevent: output\ndata: ${JSON.stringify({ seq, stream, text })}\n\n`;

describe('GET /api/tasks/:id/calls/:callId/output', () => {
  const bus = new FakeBus();
  let hub: EventHub;
  let app: INestApplication;
  let base: string;
  const url = (callId = CALL) => `${base}/api/tasks/t_1/calls/${encodeURIComponent(callId)}/output`;
  const print = (seq: number, text: string, taskId = 't_1', stream = 'stdout') =>
    hub.publish(`events.vm.exec.${EXEC}.output`, piece(seq, text, taskId, stream));

  beforeAll(async () => {
    @Module({
      controllers: [CommandOutputController],
      providers: [
        EventHub,
        CommandOutputBuffer,
        { provide: BusClient, useValue: bus },
        { provide: SSE_HEARTBEAT_MS, useValue: 40 },
      ],
    })
    class TestModule {}
    app = await NestFactory.create(TestModule, { logger: false });
    app.useGlobalFilters(new ErrorEnvelopeFilter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    hub = app.get(EventHub);
  });

  afterAll(async () => {
    (app?.getHttpServer() as Server | undefined)?.closeAllConnections();
    await app?.close();
  });

  beforeEach(() => {
    bus.asked = [];
    bus.answer = () => view([{}]);
  });

  it('sends what the command printed before, then each new piece, and ends when the call is done', async () => {
    print(0, 'compiling\n');
    const stream = await open(url());
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(bus.asked).toEqual([{ taskId: 't_1' }]);
    await stream.until((t) => t.includes('compiling'));

    print(1, 'warning: x\n', 't_1', 'stderr');
    // Another task's run with the same id is not this call's output.
    print(2, 'someone else\n', 't_2');
    print(2, 'linked\n');
    await stream.until((t) => t.includes('linked'));
    hub.publish('events.orchestrator.task.t_1.tool', { id: CALL, status: 'done' });
    await stream.until(() => stream.ended());

    const text = stream.text();
    expect(text).toContain(
      outputFrame(0, 'compiling\n') + outputFrame(1, 'warning: x\n', 'stderr') + outputFrame(2, 'linked\n'),
    );
    expect(text).not.toContain('someone else');
    expect(text.endsWith('event: end\ndata: {"status":"done"}\n\n')).toBe(true);
  });

  it('a finished call gets what is kept and the end at once; Last-Event-ID skips what the page has', async () => {
    bus.answer = () => view([{ status: 'done' }], 'completed');
    print(0, 'one\n');
    print(1, 'two\n');
    print(2, 'three\n');
    const stream = await open(url(), { 'last-event-id': '1' });
    await stream.until(() => stream.ended());
    expect(stream.text()).not.toContain('two');
    expect(stream.text()).toContain(outputFrame(2, 'three\n'));
    expect(stream.text()).toContain('event: end\ndata: {"status":"done"}');
  });

  it('says how much of a long output is no longer kept', async () => {
    bus.answer = () => view([{ status: 'done' }], 'completed');
    const chunk = 'x'.repeat(64 * 1024);
    for (let seq = 0; seq < 6; seq += 1) print(seq, chunk);
    const stream = await open(url());
    await stream.until(() => stream.ended());
    const dropped = /event: dropped\ndata: \{"chars":(\d+)\}/.exec(stream.text());
    expect(Number(dropped?.[1])).toBe(6 * chunk.length - OUTPUT_LIMITS.charsPerRun);
    expect(stream.text()).not.toContain('id: 0\n');
    expect(stream.text()).toContain('id: 5\n');
  });

  it.each([
    ['a call the task does not have', () => view([]), CALL],
    ['a call that is not a command', () => view([{ tool: 'read_file' }]), CALL],
  ])('%s is a 404 envelope', async (_label, answer, callId) => {
    bus.answer = answer;
    const res = await fetch(url(callId));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it.each([
    ['a bad task id', '/api/tasks/t.1/calls/c/output', {}],
    ['a call id too long', `/api/tasks/t_1/calls/${'c'.repeat(300)}/output`, {}],
    ['a Last-Event-ID that is not a sequence', '/api/tasks/t_1/calls/c/output', { 'last-event-id': 'x' }],
  ])('%s is a 400 envelope and asks nothing', async (_label, path, headers) => {
    const res = await fetch(`${base}${path}`, { headers });
    expect(res.status).toBe(400);
    expect(bus.asked).toEqual([]);
  });
});
