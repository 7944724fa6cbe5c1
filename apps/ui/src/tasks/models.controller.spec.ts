import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StewardError, type RpcDefinition } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorEnvelopeFilter } from '../http/error.filter.js';
import { ModelsController } from './models.controller.js';

class FakeBus {
  calls: Array<{ subject: string; input: unknown }> = [];
  answer: () => unknown = () => ({});
  request(rpc: RpcDefinition, input: unknown): Promise<unknown> {
    this.calls.push({ subject: rpc.subject, input });
    try {
      return Promise.resolve(this.answer());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

describe('POST /api/models/check', () => {
  const bus = new FakeBus();
  let app: INestApplication;
  let base: string;
  const check = (body: unknown): Promise<Response> =>
    fetch(`${base}/api/models/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    @Module({ controllers: [ModelsController], providers: [{ provide: BusClient, useValue: bus }] })
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
  });

  it('asks the orchestrator whether the model calls tools and answers what it said', async () => {
    bus.answer = () => ({ model: 'ollama:qwen3', toolUse: true, detail: 'called get_time' });
    const res = await check({ model: 'ollama:qwen3' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: 'ollama:qwen3', toolUse: true, detail: 'called get_time' });
    expect(bus.calls).toEqual([{ subject: 'orchestrator.model.check', input: { model: 'ollama:qwen3' } }]);
  });

  it('refuses a model name the contracts do not allow, before asking anything', async () => {
    const res = await check({ model: 'qwen3; rm -rf /' });
    expect(res.status).toBe(400);
    expect(bus.calls).toEqual([]);
  });

  it('passes the orchestrator’s refusal on as an error envelope', async () => {
    bus.answer = () => {
      throw new StewardError('NOT_FOUND', 'no model called nope');
    };
    const res = await check({ model: 'nope' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('no model called nope');
  });
});
