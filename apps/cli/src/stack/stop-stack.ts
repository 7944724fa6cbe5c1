import type { RuntimeConfig } from '@steward/config';
import { belongsToHome, isAlive, listPidFiles, removePidFile } from '../process/pid-files.js';
import { acceptsConnections, waitFor } from '../process/ports.js';
import { stopProcess } from '../process/stop-process.js';
import { STOP_GRACE_MS } from '../supervisor/supervisor.js';
import { SERVICE_NAMES } from '@steward/contracts';
import { NATS_SERVER, SUPERVISOR } from '../supervisor/stack-children.js';

const STACK_ORDER: readonly string[] = [SUPERVISOR, NATS_SERVER, ...SERVICE_NAMES];
const stackRank = (name: string): number =>
  STACK_ORDER.includes(name) ? STACK_ORDER.indexOf(name) : STACK_ORDER.length;

/** Services get the grace period, then nats-server does: twice the grace plus slack. */
const SUPERVISOR_STOP_MS = 2 * STOP_GRACE_MS + 5_000;
const LEFTOVER_GRACE_MS = 5_000;
const PORT_CLOSE_MS = 5_000;

export interface StopReport {
  readonly wasRunning: boolean;
  /** "name (pid N)" of each process that was running and is gone now. */
  readonly stopped: readonly string[];
  /** Processes the supervisor did not take down, which we stopped ourselves. */
  readonly leftovers: readonly string[];
  /** Live pids in pid files that are not processes of this home; never signalled. */
  readonly foreign: readonly string[];
  readonly survivors: readonly string[];
  readonly portsStillOpen: readonly number[];
}

/**
 * Stops the stack of this STEWARD_HOME: the supervisor first (it stops its children in order),
 * then anything a pid file still names that is verifiably ours. Unrelated processes that
 * happen to have a recorded pid are never touched.
 */
export async function stopStack(config: RuntimeConfig): Promise<StopReport> {
  const { home } = config.paths;
  const before = listPidFiles(config.paths)
    .filter((entry) => entry.pid !== undefined && belongsToHome(entry.pid, home))
    .sort((a, b) => stackRank(a.name) - stackRank(b.name));
  const stopped: string[] = [];
  const leftovers: string[] = [];
  const foreign: string[] = [];
  const survivors: string[] = [];
  const label = (name: string, pid: number): string => `${name} (pid ${pid})`;

  const supervisor = before.find((entry) => entry.name === SUPERVISOR);
  if (supervisor?.pid !== undefined) {
    const outcome = await stopProcess(supervisor.pid, SUPERVISOR_STOP_MS);
    if (outcome === 'survived') survivors.push(label(SUPERVISOR, supervisor.pid));
  }

  for (const entry of listPidFiles(config.paths)) {
    if (entry.pid !== undefined && isAlive(entry.pid)) {
      if (!belongsToHome(entry.pid, home)) {
        foreign.push(label(entry.name, entry.pid));
      } else {
        const outcome = await stopProcess(entry.pid, LEFTOVER_GRACE_MS);
        if (outcome === 'survived') survivors.push(label(entry.name, entry.pid));
        else leftovers.push(label(entry.name, entry.pid));
      }
    }
    if (entry.pid === undefined || !isAlive(entry.pid) || !belongsToHome(entry.pid, home))
      removePidFile(entry.file);
  }

  for (const entry of before) {
    if (entry.pid !== undefined && !isAlive(entry.pid)) stopped.push(label(entry.name, entry.pid));
  }

  const wasRunning = before.length > 0;
  const portsStillOpen: number[] = [];
  if (wasRunning) {
    for (const port of [config.uiPort, config.natsPort]) {
      if (!(await waitFor(async () => !(await acceptsConnections(port, 500)), PORT_CLOSE_MS, 100)))
        portsStillOpen.push(port);
    }
  }
  return { wasRunning, stopped, leftovers, foreign, survivors, portsStillOpen };
}
