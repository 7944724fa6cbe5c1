import { isAlive } from './pid-files.js';
import { waitFor } from './ports.js';

export type StopOutcome = 'exited' | 'killed' | 'survived';

/**
 * SIGTERM, then SIGKILL once `graceMs` has passed. The caller has already checked the pid is
 * one of ours.
 */
export async function stopProcess(pid: number, graceMs: number): Promise<StopOutcome> {
  if (!signal(pid, 'SIGTERM')) return 'exited';
  if (await waitFor(() => !isAlive(pid), graceMs, 50)) return 'exited';
  signal(pid, 'SIGKILL');
  return (await waitFor(() => !isAlive(pid), 2_000, 50)) ? 'killed' : 'survived';
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
