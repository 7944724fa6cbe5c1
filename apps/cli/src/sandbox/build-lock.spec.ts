import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireBuildLock, buildLockHolder, LOCK_FILE, tryAcquireBuildLock } from './build-lock.js';

describe('acquireBuildLock', () => {
  let cacheDir: string;

  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'steward-lock-spec-'));
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('takes over a lock whose holder died (an interrupted build)', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(cacheDir, LOCK_FILE), `${dead}\n`);
    const release = await acquireBuildLock(cacheDir, { pollMs: 10 });
    expect(readFileSync(join(cacheDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(cacheDir, LOCK_FILE))).toBe(false);
  });

  it('waits while a live build holds it, and gets it once that build releases it', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(cacheDir, LOCK_FILE), `${holder.pid}\n`);
      const waitedFor: number[] = [];
      let acquired = false;
      const waiting = acquireBuildLock(cacheDir, { pollMs: 10, onWait: (pid) => waitedFor.push(pid) }).then(
        (release) => {
          acquired = true;
          return release;
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(acquired).toBe(false);
      expect(waitedFor).toEqual([holder.pid]);
      rmSync(join(cacheDir, LOCK_FILE));
      (await waiting)();
      expect(acquired).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('tryAcquireBuildLock answers the holder at once while a live build holds it, and the lock once it is free', () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(cacheDir, LOCK_FILE), `${holder.pid}\n`);
      expect(tryAcquireBuildLock(cacheDir)).toEqual({ holder: holder.pid });
      expect(buildLockHolder(cacheDir)).toBe(holder.pid);
      rmSync(join(cacheDir, LOCK_FILE));
      const outcome = tryAcquireBuildLock(cacheDir);
      if (!('release' in outcome)) throw new Error(`still held by ${outcome.holder}`);
      expect(readFileSync(join(cacheDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      expect(buildLockHolder(cacheDir)).toBeUndefined();
      outcome.release();
      expect(existsSync(join(cacheDir, LOCK_FILE))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('buildLockHolder ignores a lock left by a process that died', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(cacheDir, LOCK_FILE), `${dead}\n`);
    expect(buildLockHolder(cacheDir)).toBeUndefined();
  });
});
