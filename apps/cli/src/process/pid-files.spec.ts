import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  belongsToHome,
  claimPidFile,
  isAlive,
  readPidFile,
  removePidFile,
  writePidFile,
} from './pid-files.js';

const dir = mkdtempSync(join(tmpdir(), 'steward-pid-spec-'));
const home = join(dir, 'home');
const otherHome = join(dir, 'other-home');

function startSleeper(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn('sleep', ['30'], { env, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

describe('pid files', () => {
  it('reads back what was written, and treats garbage as no process', () => {
    const file = join(dir, 'a.pid');
    writePidFile(file, 4242);
    expect(readPidFile(file)).toBe(4242);
    for (const garbage of ['', 'abc', '-5', '1', '12 34', '99999999999']) {
      writeFileSync(file, garbage);
      expect(readPidFile(file)).toBeUndefined();
    }
    expect(readPidFile(join(dir, 'missing.pid'))).toBeUndefined();
  });

  it('removes a pid file only while it still names the given pid', () => {
    const file = join(dir, 'b.pid');
    writePidFile(file, 1000);
    removePidFile(file, 999);
    expect(readPidFile(file)).toBe(1000);
    removePidFile(file, 1000);
    expect(readPidFile(file)).toBeUndefined();
  });

  it('lets only one live owner claim a pid file, and takes over a stale one', () => {
    const file = join(dir, 'supervisor.pid');
    expect(claimPidFile(file, 100, () => true)).toBeUndefined();
    expect(readPidFile(file)).toBe(100);
    expect(claimPidFile(file, 200, (holder) => holder === 100)).toBe(100);
    expect(readPidFile(file)).toBe(100);
    expect(claimPidFile(file, 200, () => false)).toBeUndefined();
    expect(readPidFile(file)).toBe(200);
  });
});

describe('belongsToHome', () => {
  let ours: ChildProcess;
  let stranger: ChildProcess;

  beforeAll(async () => {
    ours = await startSleeper({ PATH: '/usr/bin:/bin', STEWARD_HOME: home });
    stranger = await startSleeper({ PATH: '/usr/bin:/bin', HOME: dir });
  });

  afterAll(() => {
    ours.kill('SIGKILL');
    stranger.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('recognises a process started with this STEWARD_HOME', () => {
    expect(belongsToHome(ours.pid!, home)).toBe(true);
  });

  it('does not claim a process of another home, or one without any (a reused pid)', () => {
    expect(belongsToHome(ours.pid!, otherHome)).toBe(false);
    expect(belongsToHome(stranger.pid!, home)).toBe(false);
  });

  it('does not claim a process that has exited', async () => {
    const gone = await startSleeper({ PATH: '/usr/bin:/bin', STEWARD_HOME: home });
    const pid = gone.pid!;
    await new Promise((resolve) => {
      gone.once('exit', resolve);
      gone.kill('SIGKILL');
    });
    expect(isAlive(pid)).toBe(false);
    expect(belongsToHome(pid, home)).toBe(false);
  });
});
