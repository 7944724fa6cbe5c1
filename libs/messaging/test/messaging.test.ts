import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { defineRpc, StewardError } from '@steward/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusClient, connectBus, RpcHandler, StewardBusServer, type CallContext } from '../src/index.js';
import { startNatsServer, type TestNatsServer } from '../../../tests/support/nats-server.js';

const echo = defineRpc({
  subject: 'fs.test.echo',
  server: 'fs-service',
  callers: ['orchestrator'],
  request: z.object({ text: z.string().max(1000) }).strict(),
  response: z.object({ text: z.string(), traceId: z.string().optional() }),
  errors: ['INVALID_INPUT'],
  timeoutMs: 2_000,
  description: 'echo',
});
const bigEcho = defineRpc({
  ...echo,
  subject: 'fs.test.big',
  request: z.object({ text: z.string(), note: z.string() }).strict(),
  response: z.object({ text: z.string(), note: z.string() }),
  description: 'echoes a long body',
});
const typed = defineRpc({ ...echo, subject: 'fs.test.typed', description: 'throws a typed error' });
const crash = defineRpc({ ...echo, subject: 'fs.test.crash', description: 'throws an untyped error' });
const lies = defineRpc({ ...echo, subject: 'fs.test.lies', description: 'answers outside its contract' });
const slow = defineRpc({
  ...echo,
  subject: 'fs.test.slow',
  timeoutMs: 200,
  description: 'never answers in time',
});
const nobody = defineRpc({
  ...echo,
  subject: 'vm.test.nobody',
  server: 'vm-service',
  description: 'nothing serves it',
});
const notMine = defineRpc({
  ...echo,
  subject: 'fs.test.notmine',
  callers: ['ui'],
  description: 'orchestrator may not call it',
});

let handled = 0;

@Controller()
class TestController {
  @RpcHandler(echo)
  echo(input: { text: string }, call: CallContext) {
    handled++;
    return { text: input.text, traceId: call.traceId };
  }

  @RpcHandler(bigEcho)
  bigEcho(input: { text: string; note: string }) {
    return input;
  }

  @RpcHandler(typed)
  typed(): never {
    throw new StewardError('NOT_FOUND', 'no such thing', { details: { what: 'thing' } });
  }

  @RpcHandler(crash)
  crash(): never {
    throw new Error('secret internal detail');
  }

  @RpcHandler(lies)
  lies() {
    return { text: 42 };
  }

  @RpcHandler(slow)
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { text: 'late' };
  }
}

@Module({ controllers: [TestController] })
class TestModule {}

describe('messaging over a real nats-server', () => {
  let server: TestNatsServer;
  let app: INestMicroservice;
  let client: BusClient;
  let raw: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    const creds = (service: 'fs-service' | 'orchestrator') => ({
      servers: server.url,
      user: service,
      pass: server.passwords[service],
    });
    app = await NestFactory.createMicroservice(TestModule, {
      strategy: new StewardBusServer('fs-service', creds('fs-service')),
      logger: false,
    });
    await app.listen();
    client = new BusClient(await connectBus('orchestrator', creds('orchestrator')), 'orchestrator');
    raw = await connect({ ...creds('orchestrator'), inboxPrefix: '_INBOX.orchestrator' });
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(async () => {
    await client?.close();
    await raw?.close();
    await app?.close();
    await server?.stop();
  });

  it('a valid request gets the typed response', async () => {
    await expect(client.request(echo, { text: 'hello' })).resolves.toMatchObject({ text: 'hello' });
  });

  it('a long body (framed beside its JSON) arrives byte for byte, multi-byte text included', async () => {
    const text = 'ünïcødé 🙂 '.repeat(8_000);
    await expect(client.request(bigEcho, { text, note: '\u0000not a marker' })).resolves.toEqual({
      text,
      note: '\u0000not a marker',
    });
  });

  it('an invalid request is refused before anything is sent', async () => {
    const before = handled;
    const error = await client.request(echo, { text: 'x'.repeat(5_000) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StewardError);
    expect((error as StewardError).code).toBe('INVALID_INPUT');
    expect(handled).toBe(before);
  });

  it('a caller not declared on the RPC is refused locally', async () => {
    await expect(client.request(notMine, { text: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a typed error from the handler reaches the caller with its code and details', async () => {
    await expect(client.request(typed, { text: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'no such thing',
      details: { what: 'thing' },
    });
  });

  it('an untyped error becomes INTERNAL with an incident id and no internals', async () => {
    const error = (await client.request(crash, { text: 'x' }).catch((e: unknown) => e)) as StewardError;
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/incident [0-9a-f]{8}/);
    expect(error.message).not.toContain('secret internal detail');
  });

  it('a reply outside the contract is INTERNAL, not passed on', async () => {
    await expect(client.request(lies, { text: 'x' })).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('a handler slower than the timeout gives TIMEOUT, retryable', async () => {
    await expect(client.request(slow, { text: 'x' })).rejects.toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
    });
  });

  it('a subject nobody serves gives UNAVAILABLE at once', async () => {
    const started = Date.now();
    await expect(client.request(nobody, { text: 'x' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(nobody.timeoutMs);
  });

  it('an aborted request rejects with CANCELLED', async () => {
    const controller = new AbortController();
    const pending = client.request(slow, { text: 'x' }, { signal: controller.signal, timeoutMs: 5_000 });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('an unknown subject under the served prefix answers NOT_FOUND instead of timing out', async () => {
    const reply = await raw.request('fs.test.unknown', '{}', { timeout: 2_000 });
    expect(reply.json()).toMatchObject({ error: { code: 'NOT_FOUND', retryable: false } });
  });

  it('malformed JSON answers INVALID_INPUT and the server keeps serving', async () => {
    const reply = await raw.request('fs.test.echo', '{not json', { timeout: 2_000 });
    expect(reply.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    await expect(client.request(echo, { text: 'still here' })).resolves.toMatchObject({ text: 'still here' });
  });

  it('the caller’s trace context crosses the bus in NATS headers', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parent = trace.setSpanContext(context.active(), {
      traceId,
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    const reply = await context.with(parent, () => client.request(echo, { text: 'traced' }));
    expect(reply.traceId).toBe(traceId);
  });
});
