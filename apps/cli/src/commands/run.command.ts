import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isStewardError, modelRefSchema, TASK_LIMITS } from '@steward/contracts';
import { loadRuntimeConfig, readUiToken } from '@steward/config';
import type { RunCommand } from '../cli/args.js';
import { CliError, UsageError } from '../cli/cli-error.js';
import { DenyingApprover, PromptingApprover, type Approver } from '../run/approvers.js';
import type { RunExitCode } from '../run/exit-codes.js';
import { LineReader } from '../run/line-reader.js';
import { RunOutput } from '../run/run-output.js';
import { RunSession } from '../run/run-session.js';
import { StackUnreachableError, TaskClient, uiAnswers } from '../run/task-client.js';

/** Each folder as the real absolute path the task will see; a missing one is the caller's mistake. */
export function resolveFolders(folders: readonly string[], cwd: string): string[] {
  const resolved = new Set<string>();
  for (const folder of folders) {
    let real: string;
    try {
      real = realpathSync(resolve(cwd, folder));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`folder ${folder} does not exist`);
      throw new UsageError(`folder ${folder} cannot be opened (${code ?? String(error)})`);
    }
    if (!statSync(real).isDirectory()) throw new UsageError(`${folder} is not a folder`);
    resolved.add(real);
  }
  if (resolved.size > TASK_LIMITS.folders)
    throw new UsageError(`a task may have at most ${TASK_LIMITS.folders} folders, got ${resolved.size}`);
  return [...resolved];
}

function checkInput(options: RunCommand): void {
  if (options.prompt.length > TASK_LIMITS.promptLength)
    throw new UsageError(`the prompt is longer than ${TASK_LIMITS.promptLength} characters`);
  if (options.model !== undefined && !modelRefSchema.safeParse(options.model).success)
    throw new UsageError(
      `--model "${options.model}" is not a model name (letters, digits and . _ : / @ - only)`,
    );
}

function readToken(config: ReturnType<typeof loadRuntimeConfig>): string {
  try {
    return readUiToken(config.paths);
  } catch (error) {
    if (isStewardError(error) && error.code === 'NOT_FOUND') {
      throw new StackUnreachableError(
        `the UI answers on port ${config.uiPort}, but ${config.paths.uiTokenFile} is missing: is it the stack of STEWARD_HOME ${config.paths.home}? Start it with "./steward up"`,
      );
    }
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

/** `steward run`: one task from the terminal, followed to its end. */
export async function runTaskCommand(options: RunCommand): Promise<RunExitCode> {
  const folders = resolveFolders(options.folders, process.cwd());
  checkInput(options);
  const config = loadRuntimeConfig();
  if (!(await uiAnswers(config.uiPort))) {
    throw new StackUnreachableError(
      `Steward is not running (nothing answers on 127.0.0.1:${config.uiPort}, STEWARD_HOME ${config.paths.home}); start it with "./steward up", then run this again`,
    );
  }
  const api = new TaskClient({ port: config.uiPort, token: readToken(config), home: config.paths.home });
  const output = new RunOutput({ stdout: process.stdout, stderr: process.stderr, quiet: options.json });
  const approver = chooseApprover(options, output);
  const session = new RunSession({ api, output, approver, json: options.json, stdout: process.stdout });

  let interrupts = 0;
  const onInterrupt = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      session.interrupt();
      return;
    }
    output.finish();
    process.stderr.write('\nStopped waiting; the task may still be running (see the page).\n');
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);
  // `steward run … | head` closes the pipe early: the task goes on, only the answer has no reader.
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
  };
  process.stdout.on('error', onStdoutError);
  try {
    const result = await session.run({
      prompt: options.prompt,
      folders,
      ...(options.model === undefined ? {} : { model: options.model }),
      auto: options.auto,
    });
    return result.exitCode;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.stdout.off('error', onStdoutError);
    approver.close();
  }
}

function chooseApprover(options: RunCommand, output: RunOutput): Approver {
  const terminal = process.stdin.isTTY === true;
  const mode = options.approve ?? (terminal ? 'ask' : 'deny');
  if (mode === 'ask') return new PromptingApprover(output, new LineReader(process.stdin), terminal);
  return new DenyingApprover(
    output,
    options.approve === 'deny'
      ? 'run with --approve deny'
      : 'stdin is not a terminal, so there is nobody to ask (--approve ask reads answers from stdin)',
  );
}
