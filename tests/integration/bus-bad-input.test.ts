import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { errorEnvelopeSchema } from '@steward/contracts';
import { startStack, type Stack } from '../support/stack.js';

describe('bad bus input gets the error envelope and the service keeps serving', () => {
  let stack: Stack;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await startStack();
    const creds = stack.credentials('orchestrator');
    nc = await connect({
      servers: creds.servers,
      user: creds.user,
      pass: creds.pass,
      inboxPrefix: '_INBOX.orchestrator',
    });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  async function ask(subject: string, payload: string | Uint8Array): Promise<unknown> {
    const reply = await nc.request(subject, payload, { timeout: 3_000 });
    return reply.json();
  }

  function expectError(reply: unknown, code: string): void {
    const parsed = errorEnvelopeSchema.safeParse(reply);
    expect(parsed.success, JSON.stringify(reply)).toBe(true);
    expect(parsed.data?.error.code).toBe(code);
    expect(parsed.data?.error.retryable).toBe(false);
  }

  it.each([
    ['malformed JSON', '{"folders": ['],
    ['binary garbage', new Uint8Array([0xff, 0xfe, 0x00, 0x01])],
    ['an empty payload', ''],
    ['the wrong type', '{"folders": "not-a-list"}'],
    ['a relative path', '{"folders": ["../etc"]}'],
    ['a NUL byte in a path', JSON.stringify({ folders: ['/tmp/a\u0000b'] })],
    ['an unknown property', '{"folders": ["/tmp"], "extra": true}'],
    ['an array instead of an object', '[1,2,3]'],
    ['a 512 KiB string', JSON.stringify({ folders: ['/' + 'a'.repeat(512 * 1024)] })],
  ])('%s → INVALID_INPUT', async (_label, payload) => {
    expectError(await ask('fs.roots.inspect', payload), 'INVALID_INPUT');
  });

  it('an unknown subject under a service prefix → NOT_FOUND, not a timeout', async () => {
    expectError(await ask('fs.nothing.here', '{}'), 'NOT_FOUND');
    expectError(await ask('vm.exec.unknown', '{}'), 'NOT_FOUND');
  });

  it('the error says what was wrong, field by field', async () => {
    const reply = (await ask('fs.roots.inspect', '{"folders": "x"}')) as {
      error: { details: Array<{ path: unknown[] }>; traceId?: string };
    };
    expect(reply.error.details[0]?.path).toEqual(['folders']);
    expect(reply.error.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('after all of that the same service still answers a good request, in the same process', async () => {
    const pidBefore = stack.pid('fs-service');
    const reply = (await ask('fs.roots.inspect', JSON.stringify({ folders: [stack.home] }))) as {
      data: { folders: Array<{ exists: boolean; isDirectory: boolean }> };
    };
    expect(reply.data.folders[0]).toMatchObject({ exists: true, isDirectory: true });
    expect(stack.pid('fs-service')).toBe(pidBefore);
    const health = (await (await stack.api('/api/health')).json()) as {
      services: Record<string, { status: string }>;
    };
    expect(health.services['fs-service']?.status).toBe('ok');
  });
});
