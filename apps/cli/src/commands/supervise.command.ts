import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { createStackSupervisor, stopOnSignals } from '../supervisor/run-supervisor.js';
import { jsonLog } from '../supervisor/supervisor-log.js';

/** The background supervisor `steward up --detach` starts; runs until SIGTERM. */
export async function superviseCommand(): Promise<ExitCode> {
  const config = loadRuntimeConfig();
  const log = jsonLog();
  const stack = createStackSupervisor(config, log);
  stopOnSignals(stack, log);
  await stack.start();
  await stack.stopped;
  log.info('every process stopped; supervisor exiting');
  return EXIT.ok;
}
