import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StewardError, type RpcDefinition } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorEnvelopeFilter } from '../http/error.filter.js';
import { TasksController } from './tasks.controller.js';

/** Stands in for the bus: records each call and answers what the test tells it to. */
class FakeBus {
  calls: Array<{ subject: string; input: unknown }> = [];
  answer: (subject: string, input: unknown) => unknown = () => ({});

  request(rpc: RpcDefinition, input: unknown): Promise<unknown> {
    this.calls.push({ subject: rpc.subject, input });
    try {
      return Promise.resolve(this.answer(rpc.subject, input));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

describe('task routes', () => {
  const bus = new FakeBus();
  let app: INestApplication;
  let base: string;

  const call = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    @Module({ controllers: [TasksController], providers: [{ provide: BusClient, useValue: bus }] })
    class TestModule {}
    app = await NestFactory.create(TestModule, { logger: false });
    app.useGlobalFilters(new ErrorEnvelopeFilter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    bus.calls = [];
    bus.answer = () => ({});
  });

  it('POST /api/tasks forwards the validated task and answers 201 with its id and status', async () => {
    bus.answer = () => ({ id: 't_1', status: 'queued' });
    const res = await call('POST', '/api/tasks', { prompt: '  sum the sheets ', folders: ['/home/a/docs'] });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 't_1', status: 'queued' });
    expect(bus.calls).toEqual([
      { subject: 'orchestrator.task.create', input: { prompt: 'sum the sheets', folders: ['/home/a/docs'] } },
    ]);
  });

  it.each([
    ['no folder', { prompt: 'x', folders: [] }],
    ['a relative folder', { prompt: 'x', folders: ['docs'] }],
    ['an unknown field', { prompt: 'x', folders: ['/a'], admin: true }],
    ['an empty prompt', { prompt: '  ', folders: ['/a'] }],
  ])('POST /api/tasks with %s is a 400 envelope and no bus call', async (_label, body) => {
    const res = await call('POST', '/api/tasks', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    expect(bus.calls).toEqual([]);
  });

  it('GET /api/tasks turns the query into the list request', async () => {
    bus.answer = () => ({ tasks: [] });
    const res = await call('GET', '/api/tasks?status=running&parentId=t_0&limit=20&before=t_9');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tasks: [] });
    expect(bus.calls).toEqual([
      {
        subject: 'orchestrator.task.list',
        input: { status: 'running', parentId: 't_0', limit: 20, before: 't_9' },
      },
    ]);
    await call('GET', '/api/tasks');
    expect(bus.calls[1]).toEqual({ subject: 'orchestrator.task.list', input: {} });
  });

  it.each([
    ['an unknown status', '?status=sleeping'],
    ['a limit that is not a number', '?limit=ten'],
    ['a limit over the page size', '?limit=201'],
    ['a limit of zero', '?limit=0'],
    ['a repeated parameter', '?status=running&status=queued'],
    ['a bad parent id', '?parentId=a.b'],
    ['an unknown parameter', '?sort=asc'],
  ])('GET /api/tasks with %s is a 400 envelope and no bus call', async (_label, query) => {
    const res = await call('GET', `/api/tasks${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    expect(bus.calls).toEqual([]);
  });

  it('GET /api/tasks/:id, messages, approvals and cancel forward to their RPCs', async () => {
    bus.answer = (subject) => ({ subject });
    expect(await (await call('GET', '/api/tasks/t_1')).json()).toEqual({ subject: 'orchestrator.task.get' });
    const message = await call('POST', '/api/tasks/t_1/messages', { text: 'also add a chart' });
    expect(message.status).toBe(200);
    const approval = await call('POST', '/api/tasks/t_1/approvals/ap_2', {
      decision: 'allow',
      remember: true,
    });
    expect(approval.status).toBe(200);
    const cancel = await call('POST', '/api/tasks/t_1/cancel');
    expect(cancel.status).toBe(200);
    expect(bus.calls).toEqual([
      { subject: 'orchestrator.task.get', input: { taskId: 't_1' } },
      { subject: 'orchestrator.task.message', input: { taskId: 't_1', text: 'also add a chart' } },
      {
        subject: 'orchestrator.task.approve',
        input: { taskId: 't_1', approvalId: 'ap_2', decision: 'allow', remember: true },
      },
      { subject: 'orchestrator.task.cancel', input: { taskId: 't_1' } },
    ]);
  });

  it.each([
    ['GET', '/api/tasks/a%2Eb', undefined],
    ['GET', `/api/tasks/${'x'.repeat(65)}`, undefined],
    ['GET', '/api/tasks/t%20 1', undefined],
    ['POST', '/api/tasks/a*b/messages', { text: 'hi' }],
    ['POST', '/api/tasks/t_1/approvals/ap.2', { decision: 'allow' }],
    ['POST', '/api/tasks/%3E/cancel', undefined],
  ])('%s %s: a bad id in the address is a 400 envelope and no bus call', async (method, path, body) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/id in the address/);
    expect(bus.calls).toEqual([]);
  });

  it.each([
    ['a message without text', '/api/tasks/t_1/messages', {}],
    ['a message that names another task', '/api/tasks/t_1/messages', { text: 'hi', taskId: 't_2' }],
    ['a decision that is neither allow nor deny', '/api/tasks/t_1/approvals/ap_1', { decision: 'maybe' }],
    [
      'an approval that names its own id',
      '/api/tasks/t_1/approvals/ap_1',
      { decision: 'deny', approvalId: 'x' },
    ],
    ['a body that is not JSON', '/api/tasks/t_1/messages', '{"text":'],
  ])('%s is a 400 envelope and no bus call', async (_label, path, body) => {
    const res = await call('POST', path, body);
    expect(res.status).toBe(400);
    expect(bus.calls).toEqual([]);
  });

  it.each([
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['DENIED_BY_POLICY', 403],
    ['UNAVAILABLE', 503],
    ['TIMEOUT', 504],
  ] as const)(
    'a %s from the orchestrator reaches the page as its envelope with status %i',
    async (code, status) => {
      bus.answer = () => {
        throw new StewardError(code, `the orchestrator said ${code}`, { traceId: 'abc' });
      };
      const res = await call('POST', '/api/tasks/t_1/cancel');
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({
        error: {
          code,
          message: `the orchestrator said ${code}`,
          retryable: code === 'UNAVAILABLE' || code === 'TIMEOUT',
          traceId: 'abc',
        },
      });
    },
  );
});
