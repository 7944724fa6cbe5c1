import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimPidFile, isAlive, readPidFile, removePidFile } from '../process/pid-files.js';

export const LOCK_FILE = '.build.lock';

/** A holder counts only while it is a live Node process: after a reboot its pid may be anyone's. */
function isBuilder(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => /(^|\/)node[\d.]*$/.test(arg));
  } catch {
    return true;
  }
}

/** The live build holding the cache's lock, if any: for callers that must not wait or write. */
export function buildLockHolder(cacheDir: string): number | undefined {
  const holder = readPidFile(join(cacheDir, LOCK_FILE));
  return holder !== undefined && holder !== process.pid && isBuilder(holder) ? holder : undefined;
}

/**
 * Takes the lock only when no live build holds it, for work that must not race a build but has no
 * reason to wait minutes for one (pruning). Either the release function or the holder's pid.
 */
export function tryAcquireBuildLock(
  cacheDir: string,
): { readonly release: () => void } | { readonly holder: number } {
  const file = join(cacheDir, LOCK_FILE);
  const holder = claimPidFile(file, process.pid, isBuilder);
  return holder === undefined ? { release: () => removePidFile(file, process.pid) } : { holder };
}

/**
 * One build at a time per cache, machine-wide: test stacks, `up` and `sandbox build` share it.
 * Waits for a live holder; takes over from a dead one. Returns the release function.
 */
export async function acquireBuildLock(
  cacheDir: string,
  options: { readonly onWait?: (holder: number) => void; readonly pollMs?: number } = {},
): Promise<() => void> {
  const file = join(cacheDir, LOCK_FILE);
  let told = false;
  for (;;) {
    const holder = claimPidFile(file, process.pid, isBuilder);
    if (holder === undefined) return () => removePidFile(file, process.pid);
    if (!told) options.onWait?.(holder);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
  }
}
