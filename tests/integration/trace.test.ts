import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { startStack, type Stack } from '../support/stack.js';

describe('one request is one trace across processes', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('a folder check entering ui, forwarded by the orchestrator to fs-service, yields spans from all three under one trace id', async () => {
    const folder = stack.home;
    const res = await stack.api('/api/folders/inspect', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ folders: [folder] }),
    });
    expect(res.status).toBe(200);

    const spans = await receiver.waitFor((all) => {
      const http = all.find((s) => s.service === 'ui' && s.name === 'POST /api/folders/inspect');
      return (
        !!http &&
        ['orchestrator', 'fs-service'].every((svc) =>
          all.some((s) => s.traceId === http.traceId && s.service === svc),
        )
      );
    });
    const root = spans.find((s) => s.service === 'ui' && s.name === 'POST /api/folders/inspect')!;
    const trace = spans.filter((s) => s.traceId === root.traceId);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['ui', 'orchestrator', 'fs-service']));
    expect(root.parentSpanId).toBeUndefined();

    // The parent chain runs ui → orchestrator → fs-service with no orphan span.
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    for (const span of trace) {
      if (span !== root) expect(byId.has(span.parentSpanId ?? '')).toBe(true);
    }
    const fsServer = trace.find((s) => s.service === 'fs-service' && s.name === 'fs.roots.inspect')!;
    const chain: string[] = [];
    for (let span: typeof fsServer | undefined = fsServer; span; span = byId.get(span.parentSpanId ?? ''))
      chain.unshift(span.service);
    expect(chain[0]).toBe('ui');
    expect(chain).toContain('orchestrator');
    expect(chain.at(-1)).toBe('fs-service');
  });

  it('the folder path the person typed is not exported as span content', () => {
    const marker = stack.home;
    expect(receiver.rawBodies.join('\n')).not.toContain(marker);
  });
});

describe('a managed telemetry endpoint beats the environment', () => {
  let managedReceiver: OtlpReceiver;
  let personReceiver: OtlpReceiver;
  let managedDir: string;
  let stack: Stack;

  beforeAll(async () => {
    [managedReceiver, personReceiver] = await Promise.all([startOtlpReceiver(), startOtlpReceiver()]);
    managedDir = mkdtempSync(join(tmpdir(), 'steward-managed-'));
    writeFileSync(
      join(managedDir, 'managed-settings.json'),
      JSON.stringify({ 'telemetry.otlpEndpoint': managedReceiver.endpoint }),
      { mode: 0o644 },
    );
    stack = await startStack({
      env: { STEWARD_MANAGED_SETTINGS_DIR: managedDir, OTEL_EXPORTER_OTLP_ENDPOINT: personReceiver.endpoint },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([managedReceiver?.close(), personReceiver?.close()]);
    rmSync(managedDir, { recursive: true, force: true });
  });

  it('spans go to the organization’s collector, none to the one the environment named', async () => {
    await stack.api('/api/folders/inspect', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ folders: [stack.home] }),
    });
    await managedReceiver.waitFor((spans) => spans.some((s) => s.service === 'fs-service'));
    expect(personReceiver.spans).toEqual([]);
    const policy = (await (await stack.api('/api/policy')).json()) as {
      warnings: Array<{ message: string }>;
    };
    expect(policy.warnings.map((w) => w.message).join('\n')).toMatch(/telemetry\.otlpEndpoint/);
  });
});
