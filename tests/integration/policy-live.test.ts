import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

interface BusEvent {
  subject: string;
  data: { service: string; version: string; previousVersion: string };
}

/** Reads the ui's SSE stream in the background and keeps every bus event it delivers. */
async function followEvents(stack: Stack): Promise<{ events: BusEvent[]; stop(): void }> {
  const controller = new AbortController();
  const res = await stack.api('/api/events', {
    signal: controller.signal,
    headers: { accept: 'text/event-stream' },
  });
  expect(res.status).toBe(200);
  const events: BusEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('\n');
          if (data) events.push(JSON.parse(data) as BusEvent);
        }
      }
    } catch {
      // aborted by stop()
    }
  })();
  return { events, stop: () => controller.abort() };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('managed policy changed while the stack runs', () => {
  let stack: Stack;
  let managed: string;

  const writeManaged = (content: string): void => {
    const temp = join(managed, '.managed-settings.json.tmp');
    writeFileSync(temp, content, { mode: 0o644 });
    renameSync(temp, join(managed, 'managed-settings.json'));
  };
  const policy = async () =>
    (await (await stack.api('/api/policy')).json()) as {
      version: string;
      values: Record<string, unknown>;
      sources: Record<string, { kind: string }>;
      errors: Array<{ message: string }>;
    };

  beforeAll(async () => {
    managed = mkdtempSync(join(tmpdir(), 'steward-managed-'));
    writeManaged(JSON.stringify({ 'approvals.allowAuto': false }));
    stack = await startStack({ env: { STEWARD_MANAGED_SETTINGS_DIR: managed } });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(managed, { recursive: true, force: true });
  });

  it('is in force from the start, marked as the organization’s', async () => {
    const now = await policy();
    expect(now.values['approvals.allowAuto']).toBe(false);
    expect(now.sources['approvals.allowAuto']?.kind).toBe('managed');
    expect(now.errors).toEqual([]);
  });

  it('a rewrite reaches every service whole: each announces the new version and reports it in health', async () => {
    const before = await policy();
    const stream = await followEvents(stack);
    writeManaged(
      JSON.stringify({ 'approvals.allowAuto': false, 'budget.maxTurns': 42, 'sandbox.network': 'none' }),
    );

    const after = await until(async () => {
      const p = await policy();
      return p.version !== before.version ? p : undefined;
    });
    expect(after.values['budget.maxTurns']).toBe(42);
    expect(after.values['approvals.allowAuto']).toBe(false);

    const announcers = await until(() => {
      const services = new Set(
        stream.events
          .filter((e) => e.subject.endsWith(`.policy.${after.version}.changed`))
          .map((e) => e.data.service),
      );
      return services.size === 5 ? services : undefined;
    });
    expect([...announcers].sort()).toEqual([
      'fs-service',
      'orchestrator',
      'plugin-host',
      'scheduler',
      'vm-service',
    ]);
    for (const event of stream.events.filter((e) => e.subject.includes('.policy.'))) {
      expect(event.data.previousVersion).toBe(before.version);
    }
    stream.stop();

    const details = (await (await stack.api('/api/health/details')).json()) as {
      services: Record<string, { report?: { policyVersion: string } }>;
    };
    for (const [name, service] of Object.entries(details.services)) {
      expect({ name, version: service.report?.policyVersion }).toEqual({ name, version: after.version });
    }
  });

  it('a file that stops parsing fails closed: most restrictive values, a visible error, health degraded', async () => {
    writeManaged('{ "approvals.allowAuto": false, "budget.maxTurns": ');
    const failed = await until(async () => {
      const p = await policy();
      return p.errors.length > 0 ? p : undefined;
    });
    expect(failed.values['folders.allowed']).toEqual([]);
    expect(failed.values['plugins.allowLocalMcpServers']).toBe(false);
    expect(failed.sources['folders.allowed']?.kind).toBe('fail-closed');
    expect(failed.errors.map((e) => e.message).join('\n')).toContain('managed-settings.json');

    const health = await until(async () => {
      const h = (await (await stack.api('/api/health')).json()) as { status: string };
      return h.status === 'degraded' ? h : undefined;
    });
    expect(health.status).toBe('degraded');
  });
});
