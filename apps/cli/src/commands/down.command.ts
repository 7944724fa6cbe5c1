import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { stopStack } from '../stack/stop-stack.js';
import { print, say } from './output.js';

export async function downCommand(): Promise<ExitCode> {
  const config = loadRuntimeConfig();
  const report = await stopStack(config);
  for (const entry of report.foreign) {
    say(
      `left alone: ${entry} is not a process of this Steward (its pid was reused); removed the stale pid file`,
    );
  }
  if (!report.wasRunning) {
    print(`Steward is not running (home ${config.paths.home}).`);
    return EXIT.ok;
  }
  print(
    `Stopped Steward (home ${config.paths.home}): ${report.stopped.join(', ') || 'nothing left to stop'}.`,
  );
  if (report.leftovers.length > 0)
    say(`These outlived their supervisor and were stopped directly: ${report.leftovers.join(', ')}.`);
  let exit: ExitCode = EXIT.ok;
  if (report.survivors.length > 0) {
    say(`Could not stop: ${report.survivors.join(', ')}.`);
    exit = EXIT.failure;
  }
  if (report.portsStillOpen.length > 0) {
    say(
      `Still accepting connections after the stop: port ${report.portsStillOpen.join(', port ')} (another program is using it).`,
    );
    exit = EXIT.failure;
  }
  return exit;
}
