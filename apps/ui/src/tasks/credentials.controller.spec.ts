import 'reflect-metadata';
import { ConsoleLogger, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StewardError, type RpcDefinition } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorEnvelopeFilter } from '../http/error.filter.js';
import { CredentialsController } from './credentials.controller.js';

class FakeBus {
  calls: Array<{ subject: string; input: unknown }> = [];
  answer: (subject: string, input: unknown) => unknown = () => ({ saved: true });

  request(rpc: RpcDefinition, input: unknown): Promise<unknown> {
    this.calls.push({ subject: rpc.subject, input });
    try {
      return Promise.resolve(this.answer(rpc.subject, input));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

const KEY = 'sk-ant-api03-MARKER-7f3a9c1e5b';

describe('credential routes', () => {
  const bus = new FakeBus();
  let app: INestApplication;
  let base: string;
  let output: string[];

  const put = (body: unknown): Promise<Response> =>
    fetch(`${base}/api/credentials/anthropic`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    @Module({ controllers: [CredentialsController], providers: [{ provide: BusClient, useValue: bus }] })
    class TestModule {}
    // The service's real logger, so anything it would log is seen here.
    app = await NestFactory.create(TestModule, { logger: new ConsoleLogger({ json: true, colors: false }) });
    app.useGlobalFilters(new ErrorEnvelopeFilter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    bus.calls = [];
    bus.answer = () => ({ saved: true });
    output = [];
    const capture =
      (stream: NodeJS.WriteStream) =>
      (chunk: string | Uint8Array): boolean => {
        output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return stream === process.stdout || stream === process.stderr;
      };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture(process.stdout));
    vi.spyOn(process.stderr, 'write').mockImplementation(capture(process.stderr));
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('PUT /api/credentials/anthropic forwards the key and answers 204 with nothing in it', async () => {
    const res = await put({ apiKey: `  ${KEY} ` });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(bus.calls).toEqual([
      { subject: 'orchestrator.credentials.save', input: { provider: 'anthropic', apiKey: KEY } },
    ]);
  });

  it.each([
    ['a key with a space in it', { apiKey: `${KEY} ${KEY}` }],
    ['a key too short', { apiKey: 'sk-1' }],
    ['a field besides the key', { apiKey: KEY, provider: 'openai' }],
    ['no key at all', {}],
    ['a key that is not a string', { apiKey: 42 }],
  ])('%s is a 400 envelope that does not quote the key, and no bus call', async (_label, body) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    expect(text).not.toContain('MARKER');
    expect(bus.calls).toEqual([]);
    expect(output.join('')).not.toContain('MARKER');
  });

  it('an error from the orchestrator that quotes the key reaches the page with the key blanked', async () => {
    bus.answer = () => {
      throw new StewardError('DENIED_BY_POLICY', `key ${KEY} is not allowed here`, {
        details: { apiKey: KEY },
        traceId: 't1',
      });
    };
    const res = await put({ apiKey: KEY });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).not.toContain('MARKER');
    expect(JSON.parse(text)).toEqual({
      error: {
        code: 'DENIED_BY_POLICY',
        message: 'key [redacted] is not allowed here',
        retryable: false,
        traceId: 't1',
      },
    });
    expect(output.join('')).not.toContain('MARKER');
  });

  it('an unexpected failure carrying the key is neither answered nor logged with it', async () => {
    bus.answer = () => {
      throw new Error(`socket closed while sending ${KEY}`);
    };
    const res = await put({ apiKey: KEY });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('MARKER');
    expect(output.join('')).not.toContain('MARKER');
  });

  it('GET /api/credentials says whether a key is configured', async () => {
    bus.answer = () => ({ anthropic: { configured: true, source: 'saved' } });
    const res = await fetch(`${base}/api/credentials`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ anthropic: { configured: true, source: 'saved' } });
    expect(bus.calls).toEqual([{ subject: 'orchestrator.credentials.status', input: {} }]);
  });
});
