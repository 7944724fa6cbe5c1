import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vmExecRun, vmSandboxOpen } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { busAs, failure } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';

/** Which runtime runs commands, and what happens when none can. */

const isRoot = process.getuid?.() === 0;

function dockerRunning(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function folderForSandbox(): string {
  const folder = mkdtempSync(join(tmpdir(), 'steward-vmrt-'));
  if (isRoot) chownSync(folder, 1000, 1000);
  return folder;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('with no sandbox runtime', () => {
  let stack: Stack;
  let bus: BusClient;
  const folder = folderForSandbox();
  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('refuses to run anything, saying what to install, and health says so', async () => {
    stack = await startStack({
      env: { STEWARD_SANDBOX_RUNTIME: 'docker', DOCKER_HOST: `unix://${join(folder, 'no-docker.sock')}` },
    });
    bus = await busAs(stack, 'orchestrator');
    const error = await failure(bus.request(vmSandboxOpen, { taskId: 'no-runtime', folders: [folder] }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/install docker\.io .* or install bubblewrap/);
    const ran = await failure(
      bus.request(vmExecRun, { taskId: 'no-runtime', execId: 'x1', command: 'true' }),
    );
    expect(ran.code).toBe('NOT_FOUND');
    const health = (await (await fetch(`${stack.url}/api/health`)).json()) as {
      sandbox: { runtime: string };
    };
    expect(health.sandbox.runtime).toBe('none');
  }, 120_000);
});

describe.runIf(dockerRunning())('sandboxes left behind by a vm-service that died', () => {
  let stack: Stack;
  let bus: BusClient;
  const folder = folderForSandbox();
  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const containersOf = (taskId: string): string[] =>
    execFileSync('docker', ['ps', '-aq', '--filter', `label=steward.task=${taskId}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);

  it('are removed when vm-service starts again, and the task gets a fresh one', async () => {
    stack = await startStack({ env: { STEWARD_SANDBOX_RUNTIME: 'docker' } });
    bus = await busAs(stack, 'orchestrator');
    await bus.request(vmSandboxOpen, { taskId: 'orphan', folders: [folder] });
    await bus.request(vmExecRun, { taskId: 'orphan', execId: 'o1', command: 'true' });
    const [before] = containersOf('orphan');
    expect(before).toBeDefined();
    const pid = stack.pid('vm-service');
    process.kill(pid!, 'SIGKILL');
    // The supervisor restarts it; at start it removes what the previous process left.
    await waitFor(() => (stack.pid('vm-service') !== pid ? true : undefined));
    await waitFor(() => (containersOf('orphan').length === 0 ? true : undefined));
    await stack.waitHealthy();
    await bus.request(vmSandboxOpen, { taskId: 'orphan', folders: [folder] });
    const result = await bus.request(vmExecRun, { taskId: 'orphan', execId: 'o2', command: 'echo fresh' });
    expect(result.stdout.text).toBe('fresh\n');
    expect(containersOf('orphan')).not.toContain(before);
  }, 180_000);
});
