import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { RuntimeConfig } from '@steward/config';
import { CLI_ENTRY } from '../cli/repo-root.js';
import { logFileOf, stackEnvironment, SUPERVISOR } from './stack-children.js';

/**
 * Starts `steward supervise` in its own session, detached from this terminal, logging to
 * logs/supervisor.log. Returns its pid.
 */
export function spawnDetachedSupervisor(config: RuntimeConfig): number {
  const logFd = openSync(logFileOf(config, SUPERVISOR), 'a', 0o600);
  try {
    const child = spawn(process.execPath, [CLI_ENTRY, 'supervise'], {
      cwd: config.paths.home,
      env: stackEnvironment(config),
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
    // Without a listener a failed spawn would surface later as an uncaught 'error' event.
    child.on('error', () => undefined);
    if (child.pid === undefined)
      throw new Error(`could not start the supervisor (${process.execPath} ${CLI_ENTRY})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}
