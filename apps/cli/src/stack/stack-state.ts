import { SERVICE_NAMES } from '@steward/contracts';
import type { RuntimeConfig } from '@steward/config';
import { belongsToHome, readPidFile } from '../process/pid-files.js';
import { NATS_SERVER, SUPERVISOR } from '../supervisor/stack-children.js';

export interface ProcessState {
  readonly name: string;
  readonly pid: number | undefined;
  /** Alive and verified to belong to this STEWARD_HOME. */
  readonly alive: boolean;
}

export interface StackState {
  readonly supervisor: ProcessState;
  readonly nats: ProcessState;
  readonly services: readonly ProcessState[];
  readonly all: readonly ProcessState[];
  readonly anyAlive: boolean;
}

function processState(config: RuntimeConfig, name: string): ProcessState {
  const pid = readPidFile(config.paths.pidFile(name));
  return { name, pid, alive: pid !== undefined && belongsToHome(pid, config.paths.home) };
}

/** What the pid files of this STEWARD_HOME say, checked against the live processes. */
export function readStackState(config: RuntimeConfig): StackState {
  const supervisor = processState(config, SUPERVISOR);
  const nats = processState(config, NATS_SERVER);
  const services = SERVICE_NAMES.map((name) => processState(config, name));
  const all = [supervisor, nats, ...services];
  return { supervisor, nats, services, all, anyAlive: all.some((p) => p.alive) };
}
