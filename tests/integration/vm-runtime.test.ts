import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vmExecRun, vmSandboxClose, vmSandboxOpen } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { dockerRunning } from '../support/docker.js';
import { busAs, failure } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';

/** Which runtime runs commands, and what happens when none can. */

const isRoot = process.getuid?.() === 0;

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

  /** This stack's containers for a task: every sandbox carries the digest of its STEWARD_HOME. */
  const containersOf = (taskId: string): string[] =>
    execFileSync(
      'docker',
      [
        'ps',
        '-aq',
        '--no-trunc',
        '--filter',
        `label=steward.task=${taskId}`,
        '--filter',
        `label=steward.owner=${createHash('sha256').update(stack.home).digest('hex').slice(0, 16)}`,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .filter(Boolean);

  it('keeps a spare sandbox running for the same folders, which the next task takes as its own', async () => {
    stack = await startStack({ env: { STEWARD_SANDBOX_RUNTIME: 'docker' } });
    bus = await busAs(stack, 'orchestrator');
    await bus.request(vmSandboxOpen, { taskId: 'first', folders: [folder] });
    await bus.request(vmExecRun, { taskId: 'first', execId: 'f1', command: 'true' });
    const running = (id: string) =>
      execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', id], { encoding: 'utf8' }).trim() ===
      'true';
    const spare = await waitFor(() => containersOf('spare').find(running));
    await bus.request(vmSandboxClose, { taskId: 'first' });
    // Opening again with the same folders answers whether the sandbox it has is up yet.
    const open = () => bus.request(vmSandboxOpen, { taskId: 'second', folders: [folder] });
    let opened = await open();
    while (!opened.ready) opened = await open();
    expect(containersOf('second')).toEqual([]);
    // Inside a container the host name is the container's id.
    const inside = await bus.request(vmExecRun, { taskId: 'second', execId: 's1', command: 'hostname' });
    expect(spare.startsWith(inside.stdout.text.trim())).toBe(true);
    await bus.request(vmSandboxClose, { taskId: 'second' });
  }, 180_000);

  it('are removed when vm-service starts again, and the task gets a fresh one', async () => {
    // Every sandbox of this stack carries its owner label: the digest of its STEWARD_HOME.
    const owner = createHash('sha256').update(stack.home).digest('hex').slice(0, 16);
    const ofThisStack = (): string[] =>
      execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=steward.owner=${owner}`], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .filter(Boolean);
    await bus.request(vmSandboxOpen, { taskId: 'orphan', folders: [folder] });
    await bus.request(vmExecRun, { taskId: 'orphan', execId: 'o1', command: 'true' });
    const before = ofThisStack();
    expect(before.length).toBeGreaterThan(0);
    const pid = stack.pid('vm-service');
    process.kill(pid!, 'SIGKILL');
    // The supervisor restarts it; at start it removes what the previous process left.
    await waitFor(() => (stack.pid('vm-service') !== pid ? true : undefined));
    await waitFor(() => (ofThisStack().every((id) => !before.includes(id)) ? true : undefined));
    await stack.waitHealthy();
    await bus.request(vmSandboxOpen, { taskId: 'orphan', folders: [folder] });
    const result = await bus.request(vmExecRun, { taskId: 'orphan', execId: 'o2', command: 'echo fresh' });
    expect(result.stdout.text).toBe('fresh\n');
    expect(ofThisStack().some((id) => before.includes(id))).toBe(false);
  }, 180_000);
});
