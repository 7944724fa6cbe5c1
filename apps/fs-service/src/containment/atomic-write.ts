import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StewardError } from '@steward/contracts';
import { errnoCode, toStewardError } from './fs-errors.js';
import { isWithin } from './path-rules.js';
import type { FdHolder } from './descriptor.js';
import { fdPath, type OpenedPath } from './safe-open.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

/** What the caller last saw of the file; a write refuses to replace anything else. */
export interface ExpectedPrevious {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly size: number;
}

export interface AtomicWriteOptions {
  /** What must stand at the path right before the rename: that file, or (`absent`) nothing. */
  readonly expectedPrevious?: ExpectedPrevious | 'absent';
  /** Permission bits of a new file (before the umask); a replaced file's are kept. */
  readonly mode?: number;
}

export interface AtomicWriteResult {
  readonly realPath: string;
  readonly bytes: number;
  /** Whether a file stood at the path and was replaced (as opposed to created). */
  readonly replaced: boolean;
  /** The replaced file as it was just before the rename. */
  readonly previous?: Stats;
}

/** Mode of a file Steward creates (before the process umask), as an editor would. */
const NEW_FILE_MODE = 0o644;

/**
 * Writes of one target in this process, chained: the check against `expectedPrevious` and the rename
 * are then one step for every Steward writer. A writer outside Steward can still slip in between
 * the two; rename(2) has no compare-and-swap.
 */
const writesInFlight = new Map<string, Promise<void>>();

/**
 * Replaces the file `opened` names as a whole: the content goes to a fresh temp file in the verified
 * parent folder, is fsynced, and is renamed over the target. A reader sees the old file or the new
 * one, never a mix; of two writers the later rename wins and each learns what it replaced.
 */
export async function atomicWrite(
  opened: OpenedPath,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  if (opened.intent !== 'write-file') {
    throw new StewardError(
      'INTERNAL',
      `atomicWrite needs a path opened for write-file, not ${opened.intent}`,
    );
  }
  if (opened.isRoot)
    throw new StewardError('INVALID_INPUT', `${opened.realPath} is a connected folder, not a file`);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  try {
    return await serialized(opened.realPath, () => writeReplacing(opened, bytes, options));
  } catch (error) {
    throw toStewardError(error, opened.realPath);
  }
}

async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = writesInFlight.get(key) ?? Promise.resolve();
  const run = before.then(work);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  writesInFlight.set(key, settled);
  try {
    return await run;
  } finally {
    if (writesInFlight.get(key) === settled) writesInFlight.delete(key);
  }
}

async function writeReplacing(
  opened: OpenedPath,
  bytes: Uint8Array,
  options: AtomicWriteOptions,
): Promise<AtomicWriteResult> {
  // The parent was verified when opened; a folder moved out of the root since then is refused
  // rather than written into.
  const parentReal = await readlink(fdPath(opened.parentFd));
  if (!isWithin(opened.root, parentReal)) {
    throw new StewardError(
      'OUTSIDE_ROOT',
      `the folder holding ${opened.realPath} was moved out of its connected folder`,
    );
  }
  const realPath = path.posix.join(parentReal, opened.name);
  const targetPath = fdPath(opened.parentFd, opened.name);
  // Short and unrelated to the target's name, so a 255-byte name cannot push it past NAME_MAX.
  const tempPath = fdPath(opened.parentFd, `.steward-write-${randomBytes(8).toString('hex')}.tmp`);
  let temp: FileHandle | undefined;
  let created = false;
  let renamed = false;
  try {
    temp = await open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? NEW_FILE_MODE);
    created = true;
    await temp.writeFile(bytes);
    const previous = await currentTarget(targetPath, realPath, options.expectedPrevious);
    if (previous !== undefined) await keepOwnershipAndMode(temp, previous);
    await temp.sync();
    await temp.close();
    temp = undefined;
    await rename(tempPath, targetPath);
    renamed = true;
    await syncFolder(opened.parentFd);
    return previous === undefined
      ? { realPath, bytes: bytes.byteLength, replaced: false }
      : { realPath, bytes: bytes.byteLength, replaced: true, previous };
  } finally {
    await temp?.close().catch(() => undefined);
    if (created && !renamed) await unlink(tempPath).catch(() => undefined);
  }
}

/** What stands at the target right before the rename, refused if it is not what may be replaced. */
async function currentTarget(
  targetPath: string,
  realPath: string,
  expected: ExpectedPrevious | 'absent' | undefined,
): Promise<Stats | undefined> {
  let current: Stats | undefined;
  try {
    current = await lstat(targetPath);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  if (current !== undefined && !current.isFile()) {
    throw new StewardError(
      'EXISTS',
      `${realPath} changed into something other than a regular file; not replaced`,
    );
  }
  if (current !== undefined && current.nlink > 1) {
    throw new StewardError(
      'DENIED_BY_POLICY',
      `${realPath} has ${current.nlink} hard links; writing it would change the other names too`,
    );
  }
  if (expected === 'absent') {
    if (current !== undefined) {
      throw new StewardError('EXISTS', `${realPath} was created by someone else meanwhile; not replaced`, {
        details: { conflict: true },
      });
    }
  } else if (expected !== undefined) {
    const same =
      current !== undefined &&
      current.ino === expected.ino &&
      current.size === expected.size &&
      current.mtimeMs === expected.mtimeMs;
    if (!same) {
      throw new StewardError(
        'EXISTS',
        current === undefined
          ? `${realPath} was removed by someone else since it was read; not written`
          : `${realPath} was changed by someone else since it was read; not replaced`,
        { details: { conflict: true } },
      );
    }
  }
  return current;
}

/**
 * The new file takes the replaced file's permission bits (setuid, setgid and sticky dropped, as a
 * write by its owner would drop them) and, where the process may, its owner and group.
 */
async function keepOwnershipAndMode(temp: FileHandle, previous: Stats): Promise<void> {
  await temp.chmod(previous.mode & 0o777);
  const mine = await temp.stat();
  if (mine.uid === previous.uid && mine.gid === previous.gid) return;
  await temp.chown(previous.uid, previous.gid).catch((error: unknown) => {
    if (errnoCode(error) !== 'EPERM') throw error;
  });
}

/**
 * Makes the rename durable. Best effort: the content is already fsynced, so after a crash the path
 * holds the old file or the new one whole either way.
 */
async function syncFolder(parent: FdHolder): Promise<void> {
  const folder = await open(fdPath(parent), O_RDONLY | O_DIRECTORY).catch(() => undefined);
  if (folder === undefined) return;
  try {
    await folder.sync().catch(() => undefined);
  } finally {
    await folder.close();
  }
}
