import { linkSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolveStewardPaths, type StewardPaths } from '@steward/config';

/** Reads a pid file; a missing, empty or garbled file means "no process", never an error. */
export function readPidFile(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const pid = Number(text);
  return pid > 1 && Number.isSafeInteger(pid) ? pid : undefined;
}

/** Written through a rename so a reader never sees a half-written number. */
export function writePidFile(file: string, pid: number): void {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${pid}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temp, file);
}

/**
 * Creates a pid file only if no live owner holds it, so two supervisors of one home cannot both
 * start: creation is exclusive, and a file naming a dead (or foreign) process is taken over.
 * Returns the pid of the live holder when the claim fails.
 */
export function claimPidFile(
  file: string,
  pid: number,
  isOwner: (holder: number) => boolean,
): number | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, `${pid}\n`, { mode: 0o600, flag: 'wx' });
    try {
      // link() fails when the target exists: an atomic "create if absent" with the content in place.
      linkSync(temp, file);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temp, { force: true });
    }
    const holder = readPidFile(file);
    if (holder === pid) return undefined;
    if (holder !== undefined && isOwner(holder)) return holder;
    removePidFile(file, holder);
  }
  return readPidFile(file);
}

/**
 * Removes a pid file only if it still names `pid`: a restarted child may already have written
 * its new pid there.
 */
export function removePidFile(file: string, pid?: number): void {
  if (pid !== undefined && readPidFile(file) !== pid) return;
  rmSync(file, { force: true });
}

/** Every `run/*.pid` file with the name it stands for (`supervisor`, `nats-server`, a service). */
export function listPidFiles(
  paths: StewardPaths,
): Array<{ name: string; file: string; pid: number | undefined }> {
  let entries: string[];
  try {
    entries = readdirSync(paths.runDir);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.endsWith('.pid'))
    .sort()
    .map((entry) => {
      const file = join(paths.runDir, entry);
      return { name: entry.slice(0, -'.pid'.length), file, pid: readPidFile(file) };
    });
}

/** Alive means signalable and not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Field 3 of /proc/<pid>/stat, after the parenthesised command name, is the state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The environment a process was started with, or undefined when it cannot be read. */
export function readProcessEnvironment(pid: number): Record<string, string> | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

/**
 * Whether `pid` is a process of the stack living in `home`. A pid file can outlive its process
 * and the kernel reuses pids, so before signalling we look at the environment the process was
 * started with: every process `steward up` starts resolves to the same STEWARD_HOME. A process
 * whose environment we cannot read (another user's, or no /proc) is never ours to kill.
 */
export function belongsToHome(pid: number, home: string): boolean {
  if (!isAlive(pid)) return false;
  const env = readProcessEnvironment(pid);
  if (env === undefined) return process.platform === 'darwin' && darwinEnvironmentNames(pid, home);
  try {
    return resolveStewardPaths(env).home === home;
  } catch {
    return false;
  }
}

/**
 * macOS has no /proc; `ps -E` shows the environment of one's own processes after the command.
 * Every process `steward up` starts has STEWARD_HOME written out, so the exact assignment is
 * looked for as a whole word.
 */
function darwinEnvironmentNames(pid: number, home: string): boolean {
  try {
    const text = execFileSync('ps', ['-E', '-ww', '-o', 'command=', '-p', String(pid)], {
      encoding: 'utf8',
      timeout: 5_000,
    });
    return ` ${text.trim()} `.includes(` STEWARD_HOME=${home} `);
  } catch {
    return false;
  }
}
