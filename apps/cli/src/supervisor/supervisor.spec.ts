import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, readPidFile } from '../process/pid-files.js';
import { waitFor } from '../process/ports.js';
import { Backoff } from './backoff.js';
import type { SupervisorLog } from './supervisor-log.js';
import { Supervisor, type ChildSpec } from './supervisor.js';

describe('Supervisor', () => {
  let dir: string;
  let messages: string[];
  let log: SupervisorLog;
  let supervisor: Supervisor | undefined;

  const spec = (name: string, script: string): ChildSpec => ({
    name,
    command: 'sh',
    args: ['-c', script],
    env: { PATH: '/usr/bin:/bin' },
    cwd: dir,
    logFile: join(dir, `${name}.log`),
    pidFile: join(dir, `${name}.pid`),
  });

  const make = (
    groups: ChildSpec[][],
    options: { stopGraceMs?: number; stableAfterMs?: number } = {},
  ): Supervisor => {
    supervisor = new Supervisor({
      groups,
      log,
      backoff: () => new Backoff({ initialMs: 50, jitter: 0 }),
      ...options,
    });
    return supervisor;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'steward-supervisor-spec-'));
    messages = [];
    const record = (message: string): void => void messages.push(message);
    log = { info: record, warn: record, error: record };
  });

  afterEach(async () => {
    await supervisor?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts every child and records its pid', async () => {
    const s = make([[spec('a', 'exec sleep 30')], [spec('b', 'exec sleep 30')]]);
    await s.start();
    for (const name of ['a', 'b']) {
      const pid = s.pidOf(name);
      expect(pid).toBeDefined();
      expect(readPidFile(join(dir, `${name}.pid`))).toBe(pid);
      expect(isAlive(pid!)).toBe(true);
    }
  });

  it('restarts a child that is killed, under a new pid', async () => {
    const s = make([[spec('a', 'exec sleep 30')]]);
    await s.start();
    const first = s.pidOf('a')!;
    process.kill(first, 'SIGKILL');
    expect(await waitFor(() => (s.pidOf('a') ?? first) !== first, 5_000, 20)).toBe(true);
    const second = s.pidOf('a')!;
    expect(isAlive(second)).toBe(true);
    expect(readPidFile(join(dir, 'a.pid'))).toBe(second);
    expect(messages.some((m) => m.includes('a exited unexpectedly (signal SIGKILL)'))).toBe(true);
  });

  it('backs off between restarts of a child that keeps crashing', async () => {
    const s = make([[spec('crash', 'exit 3')]]);
    await s.start();
    await waitFor(() => messages.filter((m) => m.includes('restarting in')).length >= 4, 5_000, 20);
    const delays = messages
      .filter((m) => m.includes('restarting in'))
      .slice(0, 4)
      .map((m) => /restarting in (\d+) ms/.exec(m)?.[1]);
    expect(delays).toEqual(['50', '100', '200', '400']);
    expect(messages[1]).toContain('exit code 3');
  });

  it('stops every child, removes the pid files and restarts nothing afterwards', async () => {
    const s = make([[spec('a', 'exec sleep 30')], [spec('b', 'exec sleep 30')]]);
    await s.start();
    const pids = [s.pidOf('a')!, s.pidOf('b')!];
    await s.stop();
    expect(pids.map(isAlive)).toEqual([false, false]);
    expect(readPidFile(join(dir, 'a.pid'))).toBeUndefined();
    expect(readPidFile(join(dir, 'b.pid'))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(s.pidOf('a')).toBeUndefined();
  });

  it('kills a child that ignores SIGTERM once the grace period is over', async () => {
    const s = make([[spec('stubborn', 'trap "" TERM; sleep 30; true')]], { stopGraceMs: 300 });
    await s.start();
    const pid = s.pidOf('stubborn')!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await s.stop();
    expect(isAlive(pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(messages.some((m) => m.includes('did not stop within'))).toBe(true);
  });

  it('reports a program that cannot be started and keeps trying', async () => {
    const s = make([[{ ...spec('ghost', ''), command: join(dir, 'no-such-program') }]]);
    await s.start();
    await waitFor(() => messages.filter((m) => m.includes('could not start')).length >= 2, 3_000, 20);
    expect(
      messages.filter((m) => m.includes('ghost exited unexpectedly (could not start')).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
