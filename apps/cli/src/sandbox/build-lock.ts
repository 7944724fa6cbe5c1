import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimPidFile, isAlive, removePidFile } from '../process/pid-files.js';

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
