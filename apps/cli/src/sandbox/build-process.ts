import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli/cli-error.js';

/** Where Debian keeps system programs; root's PATH has them, a person's often lacks the sbin ones. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a system program, or its bare name for spawn to look up in PATH. */
export function systemCommand(name: string): string {
  for (const dir of SYSTEM_DIRS) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this one.
    }
  }
  return name;
}

export function commandExists(name: string): boolean {
  return systemCommand(name) !== name;
}

/** The build's own log: every child's output goes here, so progress stays short and failures can show it. */
export class BuildLog {
  private readonly fd: number;
  private closed = false;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a', 0o644);
  }

  get descriptor(): number {
    return this.fd;
  }

  note(line: string): void {
    writeSync(this.fd, `\n### ${new Date().toISOString()} ${line}\n`);
  }

  tail(lines: number): string[] {
    try {
      return readFileSync(this.file, 'utf8').trimEnd().split('\n').slice(-lines);
    } catch {
      return [];
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

export class BuildStepError extends CliError {
  override readonly name = 'BuildStepError';
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Runs one step with its output in the log; a failure names the step and shows the log's end. */
export function runLogged(
  command: string,
  args: readonly string[],
  log: BuildLog,
  options: { readonly cwd?: string; readonly what?: string } = {},
): Promise<void> {
  const what = options.what ?? `${command} ${args.join(' ')}`;
  log.note(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      stdio: ['ignore', log.descriptor, log.descriptor],
    });
    child.once('error', (error) => reject(new BuildStepError(`${what} could not start: ${error.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new BuildStepError(
          `${what} ${describeExit(code, signal)}. Last lines of ${log.file}:\n` +
            log
              .tail(25)
              .map((line) => `  ${line}`)
              .join('\n'),
        ),
      );
    });
  });
}

/** Runs a command and returns its stdout (stderr goes to the log). */
export function captureLogged(
  command: string,
  args: readonly string[],
  log: BuildLog,
  what: string,
): Promise<string> {
  log.note(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', log.descriptor] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', (error) => reject(new BuildStepError(`${what} could not start: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      reject(new BuildStepError(`${what} ${describeExit(code, signal)}; see ${log.file}`));
    });
  });
}

/** `producer | consumer`, both logged; fails if either side does. */
export function pipeLogged(
  producer: readonly [string, readonly string[]],
  consumer: readonly [string, readonly string[]],
  log: BuildLog,
  what: string,
): Promise<void> {
  log.note(`$ ${producer[0]} ${producer[1].join(' ')} | ${consumer[0]} ${consumer[1].join(' ')}`);
  return new Promise((resolve, reject) => {
    const left = spawn(producer[0], [...producer[1]], { stdio: ['ignore', 'pipe', log.descriptor] });
    const right = spawn(consumer[0], [...consumer[1]], { stdio: ['pipe', log.descriptor, log.descriptor] });
    if (left.stdout !== null && right.stdin !== null) {
      left.stdout.pipe(right.stdin);
      // The consumer dying closes the pipe; that failure is reported from its own exit code.
      right.stdin.on('error', () => undefined);
    }
    const exits = [left, right].map(
      (child) =>
        new Promise<string | undefined>((settle) => {
          child.once('error', (error) => settle(`could not start: ${error.message}`));
          child.once('exit', (code, signal) => settle(code === 0 ? undefined : describeExit(code, signal)));
        }),
    );
    void Promise.all(exits).then(([producerFailure, consumerFailure]) => {
      if (producerFailure === undefined && consumerFailure === undefined) return resolve();
      const who =
        consumerFailure !== undefined
          ? `${consumer[0]} ${consumerFailure}`
          : `${producer[0]} ${producerFailure ?? ''}`;
      reject(
        new BuildStepError(`${what} failed: ${who}. Last lines of ${log.file}:\n${log.tail(10).join('\n')}`),
      );
    });
  });
}

/** Mount points in /proc/self/mountinfo escape spaces and the like as octal (`\040`). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function mountsUnder(dir: string, mountinfo?: string): string[] {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return [];
    }
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescapeMountPath)
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/**
 * Detaches whatever a killed build left mounted in its tree (proc, by us or by debootstrap), so
 * removing the tree can never reach into /proc or a bound /dev of the host.
 */
export async function unmountUnder(dir: string, log?: BuildLog): Promise<void> {
  for (const point of mountsUnder(dir)) {
    await new Promise<void>((resolve) => {
      const child = spawn(systemCommand('umount'), ['--lazy', point], {
        stdio: ['ignore', log?.descriptor ?? 'ignore', log?.descriptor ?? 'ignore'],
      });
      child.once('error', () => resolve());
      child.once('exit', () => resolve());
    });
  }
  const left = mountsUnder(dir);
  if (left.length > 0)
    throw new CliError(`cannot unmount ${left.join(', ')}; unmount it and remove ${dir} by hand`);
}
