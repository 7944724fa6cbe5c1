import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, normalize } from 'node:path';
import { StewardError } from '@steward/contracts';

/**
 * How a process holds on to a folder:
 * - `sandbox`: bubblewrap binds it (`--ro-bind <rootfs> /`, as vm-service starts every sandbox);
 * - `argument`: some other argument names it or a path inside it;
 * - `root`: the process is chrooted into it;
 * - `cwd`: the process works inside it.
 */
export type ProcessUseKind = 'sandbox' | 'argument' | 'root' | 'cwd';

export interface ProcessUse {
  readonly pid: number;
  /** The process's command name (`/proc/<pid>/comm`), e.g. `bwrap`. */
  readonly program: string;
  readonly how: ProcessUseKind;
}

/** bubblewrap's options that take a host path first and the path inside the sandbox second. */
const BIND_OPTIONS = new Set([
  '--bind',
  '--bind-try',
  '--ro-bind',
  '--ro-bind-try',
  '--dev-bind',
  '--dev-bind-try',
]);

function withoutTrailingSlash(path: string): string {
  const normal = normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Whole path segments only: `/cache/abc` is not inside `/cache/ab`. */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Both spellings of a folder: the one given and, when a symlink leads to it, the real one. */
function spellings(dir: string): string[] {
  const given = withoutTrailingSlash(dir);
  const real = realpathOrUndefined(given);
  return real === undefined || real === given ? [given] : [given, real];
}

/** An argument's path as given and as it resolves, so a symlinked spelling of the cache still matches. */
function pathForms(arg: string): string[] {
  if (!isAbsolute(arg)) return [];
  const given = withoutTrailingSlash(arg);
  const real = realpathOrUndefined(given);
  return real === undefined || real === given ? [given] : [given, real];
}

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The folder of `dirs` (by its given spelling) that `path` lies in, if any. */
function owningDir(
  forms: readonly string[],
  dirs: ReadonlyArray<{ readonly dir: string; readonly spellings: readonly string[] }>,
): string | undefined {
  for (const candidate of dirs) {
    if (forms.some((form) => candidate.spellings.some((spelling) => isWithin(form, spelling))))
      return candidate.dir;
  }
  return undefined;
}

/**
 * Which running processes use each of `dirs`, read from `procDir` (`/proc`): their command line
 * (bubblewrap keeps `--ro-bind <rootfs> /` there for the sandbox's whole life), their root and
 * their working directory. Processes that vanish or cannot be read while scanning are skipped;
 * this process itself never counts. Only Linux has bubblewrap, so elsewhere nothing is in use.
 */
export function findProcessUsers(dirs: readonly string[], procDir = '/proc'): Map<string, ProcessUse[]> {
  const users = new Map<string, ProcessUse[]>(dirs.map((dir) => [dir, []]));
  if (dirs.length === 0 || (procDir === '/proc' && process.platform !== 'linux')) return users;
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch (error) {
    throw new StewardError(
      'UNAVAILABLE',
      `cannot read ${procDir} to tell which sandbox images running sandboxes use: ${(error as Error).message}`,
      { retryable: false, cause: error },
    );
  }
  const targets = dirs.map((dir) => ({ dir, spellings: spellings(dir) }));
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const base = `${procDir}/${name}`;
    const cmdline = readOrUndefined(() => readFileSync(`${base}/cmdline`, 'utf8'));
    if (cmdline === undefined) continue;
    const args = cmdline.split('\0');
    if (args.at(-1) === '') args.pop();
    const program =
      readOrUndefined(() => readFileSync(`${base}/comm`, 'utf8').trim()) ?? basename(args[0] ?? '?');
    const found = new Map<string, ProcessUseKind>();
    const note = (dir: string | undefined, how: ProcessUseKind): void => {
      // The sandbox reading says the most; a later plain mention of the same folder does not replace it.
      if (dir !== undefined && found.get(dir) !== 'sandbox') found.set(dir, how);
    };
    args.forEach((arg, index) => {
      const bound = index > 0 && BIND_OPTIONS.has(args[index - 1] ?? '');
      note(owningDir(pathForms(arg), targets), bound ? 'sandbox' : 'argument');
    });
    for (const link of ['root', 'cwd'] as const) {
      // The kernel's own spelling; a process in another mount namespace (a sandbox) shows "/".
      const target = readOrUndefined(() => readlinkSync(`${base}/${link}`));
      const dir = target === undefined ? undefined : owningDir([target], targets);
      if (dir !== undefined && !found.has(dir)) found.set(dir, link);
    }
    for (const [dir, how] of found) users.get(dir)?.push({ pid, program, how });
  }
  return users;
}

const HIDDEN_VALUES = new Set(['1', '2', '4', 'noaccess', 'invisible', 'ptraceable']);

/**
 * Whether /proc, as mounted (`hidepid=`), hides other users' processes from this one. Root sees
 * them all; a person who cannot could miss a sandbox running as someone else.
 */
export function procHidesOtherUsers(mountinfo?: string, uid = process.getuid?.()): boolean {
  if (uid === 0 || uid === undefined) return false;
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return false;
    }
  }
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before?.split(' ')[4] !== '/proc' || after === undefined) continue;
    const [fstype, , superOptions] = after.split(' ');
    if (fstype !== 'proc') continue;
    const hidepid = superOptions
      ?.split(',')
      .find((option) => option.startsWith('hidepid='))
      ?.slice('hidepid='.length);
    return hidepid !== undefined && HIDDEN_VALUES.has(hidepid);
  }
  return false;
}
