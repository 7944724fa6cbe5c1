import { existsSync } from 'node:fs';
import { SERVICE_NAMES } from '@steward/contracts';
import type { RuntimeConfig } from '@steward/config';
import { CliError } from '../cli/cli-error.js';
import { assertServicesBuilt } from '../cli/repo-root.js';
import { belongsToHome, claimPidFile, removePidFile } from '../process/pid-files.js';
import { SUPERVISOR, stackChildren } from './stack-children.js';
import { Supervisor } from './supervisor.js';
import type { SupervisorLog } from './supervisor-log.js';

export interface StackSupervisor {
  readonly supervisor: Supervisor;
  start(): Promise<void>;
  /** Stops every child, then gives up the supervisor pid file. Safe to call more than once. */
  stop(): Promise<void>;
  /** Settles once stop() has finished, whoever called it. */
  readonly stopped: Promise<void>;
  /** Whether stop() has been called (by a signal, or by the code that owns the supervisor). */
  stopRequested(): boolean;
}

/**
 * Becomes the supervisor of this STEWARD_HOME (one per home: its pid file is the lock). Expects
 * the secrets `steward up` writes; starts nothing until start().
 */
export function createStackSupervisor(config: RuntimeConfig, log: SupervisorLog): StackSupervisor {
  const { paths } = config;
  if (!existsSync(paths.natsConfigFile)) {
    throw new CliError(`${paths.natsConfigFile} is missing; start Steward with "steward up"`);
  }
  assertServicesBuilt(SERVICE_NAMES);
  const pidFile = paths.pidFile(SUPERVISOR);
  const holder = claimPidFile(pidFile, process.pid, (pid) => belongsToHome(pid, paths.home));
  if (holder !== undefined)
    throw new CliError(`a supervisor (pid ${holder}) is already running for ${paths.home}`);

  const supervisor = new Supervisor({ groups: stackChildren(config), log });
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= supervisor.stop().finally(() => {
      removePidFile(pidFile, process.pid);
      markStopped();
    });
    return stopping;
  };
  const start = async (): Promise<void> => {
    log.info(`supervising ${paths.home} (pid ${process.pid})`, { pid: process.pid, home: paths.home });
    await supervisor.start();
  };
  return { supervisor, start, stop, stopped, stopRequested: () => stopping !== undefined };
}

/**
 * SIGTERM, SIGINT and SIGHUP stop the stack; so does a crash of the supervisor itself, so that
 * no service is left running without anyone to restart or stop it.
 */
export function stopOnSignals(stack: StackSupervisor, log: SupervisorLog): void {
  const handler = (signal: NodeJS.Signals): void => {
    log.info(`${signal} received; stopping every process`);
    void stack.stop();
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, handler);
  process.on('uncaughtException', (error) => {
    log.error(`supervisor failed: ${error.stack ?? error.message}`);
    void stack.stop().finally(() => process.exit(1));
  });
}
