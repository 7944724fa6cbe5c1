import { isStewardError, StewardError } from '@steward/contracts';
import { STEWARD_VERSION } from '@steward/config';
import { parseArgs, type Command } from './cli/args.js';
import { CliError, EXIT, type ExitCode } from './cli/cli-error.js';
import { helpText } from './cli/help.js';
import { doctorCommand } from './commands/doctor.command.js';
import { downCommand } from './commands/down.command.js';
import { policyShowCommand } from './commands/policy.command.js';
import { runTaskCommand } from './commands/run.command.js';
import { sandboxBuildCommand, sandboxPruneCommand } from './commands/sandbox.command.js';
import { statusCommand } from './commands/status.command.js';
import { superviseCommand } from './commands/supervise.command.js';
import { testCommand } from './commands/test.command.js';
import { upCommand } from './commands/up.command.js';
import type { RunExitCode } from './run/exit-codes.js';

async function runCommand(command: Command): Promise<ExitCode | RunExitCode> {
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${helpText(command.topic)}\n`);
      return EXIT.ok;
    case 'version':
      process.stdout.write(`steward ${STEWARD_VERSION}\n`);
      return EXIT.ok;
    case 'up':
      return upCommand({ detach: command.detach });
    case 'down':
      return downCommand();
    case 'status':
      return statusCommand({ json: command.json });
    case 'doctor':
      return doctorCommand({ json: command.json });
    case 'policy-show':
      return policyShowCommand({ json: command.json });
    case 'sandbox-build':
      return sandboxBuildCommand({ office: command.office, force: command.force, json: command.json });
    case 'sandbox-prune':
      return sandboxPruneCommand({ dryRun: command.dryRun, json: command.json });
    case 'run':
      return runTaskCommand(command);
    case 'supervise':
      return superviseCommand();
    case 'test':
      return testCommand({ quick: command.quick, setup: command.setup });
  }
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  // Bad configuration (an invalid STEWARD_PORT, say) is the caller's input, like a bad flag.
  if (isStewardError(error) && error.code === 'INVALID_INPUT') return EXIT.usage;
  return EXIT.failure;
}

function describe(error: unknown): string {
  if (error instanceof CliError || error instanceof StewardError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function main(argv: readonly string[]): Promise<ExitCode | RunExitCode> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`steward: ${describe(error)}\nRun "steward --help" to see the commands.\n`);
    return exitCodeOf(error);
  }
  try {
    return await runCommand(command);
  } catch (error) {
    process.stderr.write(`steward: ${describe(error)}\n`);
    return exitCodeOf(error);
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
// A handle some library left open must not keep a finished command (or a stopped supervisor) alive.
setTimeout(() => process.exit(exitCode), 1_000).unref();
