import { constants, type Stats } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  rename,
  rmdir,
  symlink,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { StewardError } from '@steward/contracts';
import { errnoCode } from '../containment/fs-errors.js';
import type { FdHolder } from '../containment/descriptor.js';
import { fdPath } from '../containment/safe-open.js';

/*
 * Whole-tree work under a folder descriptor: every step names one entry inside a folder that is
 * already open (through /proc/self/fd), opens folders with O_NOFOLLOW and never follows a symlink, so
 * a tree that changes while it is walked cannot lead the walk anywhere else. A symlink is copied,
 * moved or removed as the link itself.
 */

const O_PATH = 0o10000000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = constants;
const COPY_CHUNK_BYTES = 1024 * 1024;

export type TreeEntryKind = 'file' | 'directory' | 'symlink' | 'other';

export interface TreeEntry {
  /** Absolute, as the person knows it. */
  readonly path: string;
  readonly kind: TreeEntryKind;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export interface TreeScan {
  readonly kind: TreeEntryKind;
  /** The first `keep` entries: the entry itself, then what a folder holds, depth first in name order. */
  readonly entries: readonly TreeEntry[];
  /** Every entry seen, kept or not. */
  readonly total: number;
  /** sha256 over every entry's kind, path, size, mtime and inode, in order. */
  readonly digest: string;
  readonly files: number;
  readonly folders: number;
  readonly bytes: number;
}

export function kindOf(stats: Stats): TreeEntryKind {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  return 'other';
}

/** Opens folder `name` inside `parent` without following a link, for reading its entries. */
async function openFolder(parent: FdHolder, name: string): Promise<FileHandle> {
  return open(fdPath(parent, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

/**
 * Lists everything at `name` inside `parent` (shown as `shownPath`), refusing past `maxEntries`
 * entries with TOO_LARGE: a delete the person approves must be one they could be shown.
 */
export async function scanTree(
  parent: FdHolder,
  name: string,
  shownPath: string,
  maxEntries: number,
  keep = Number.POSITIVE_INFINITY,
): Promise<TreeScan> {
  const entries: TreeEntry[] = [];
  const hash = createHash('sha256');
  let total = 0;
  let first: TreeEntryKind | undefined;
  let files = 0;
  let folders = 0;
  let bytes = 0;
  const visit = async (dir: FdHolder, entryName: string, shown: string): Promise<void> => {
    const stats = await lstat(fdPath(dir, entryName));
    const kind = kindOf(stats);
    if (total >= maxEntries) {
      throw new StewardError(
        'TOO_LARGE',
        `${shownPath} holds more than ${maxEntries} entries; delete its parts separately`,
        { details: { maxEntries } },
      );
    }
    const size = kind === 'file' ? stats.size : 0;
    total += 1;
    first ??= kind;
    hash.update(`${kind}\0${shown}\0${size}\0${stats.mtimeMs}\0${stats.ino}\n`);
    if (entries.length < keep)
      entries.push({ path: shown, kind, size, mtimeMs: stats.mtimeMs, ino: stats.ino });
    if (kind === 'file') {
      files += 1;
      bytes += stats.size;
    }
    if (kind !== 'directory') return;
    folders += 1;
    const folder = await openFolder(dir, entryName);
    try {
      const names = (await readdir(fdPath(folder))).sort();
      for (const child of names) await visit(folder, child, path.posix.join(shown, child));
    } finally {
      await folder.close();
    }
  };
  await visit(parent, name, shownPath);
  return { kind: first ?? 'other', entries, total, digest: hash.digest('hex'), files, folders, bytes };
}

/**
 * Moves `fromName` in `fromParent` to `toName` in `toParent`. Across file systems (EXDEV) the tree
 * is copied and then the original removed; FIFOs, sockets and devices are refused then.
 */
export async function moveEntry(
  fromParent: FdHolder,
  fromName: string,
  toParent: FdHolder,
  toName: string,
): Promise<void> {
  try {
    await rename(fdPath(fromParent, fromName), fdPath(toParent, toName));
    return;
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
  }
  try {
    await copyTree(fromParent, fromName, toParent, toName);
  } catch (error) {
    await removeTree(toParent, toName).catch(() => undefined);
    throw error;
  }
  await removeTree(fromParent, fromName);
}

/** Copies an entry (a file, a link, or a folder with all it holds), keeping modes and times. */
export async function copyTree(
  fromParent: FdHolder,
  fromName: string,
  toParent: FdHolder,
  toName: string,
): Promise<void> {
  const source = fdPath(fromParent, fromName);
  const target = fdPath(toParent, toName);
  const stats = await lstat(source);
  const kind = kindOf(stats);
  if (kind === 'symlink') {
    await symlink(await readlink(source), target);
    return;
  }
  if (kind === 'file') {
    await copyFile(source, target, stats);
    return;
  }
  if (kind !== 'directory') {
    throw new StewardError(
      'INVALID_INPUT',
      `${fromName} is a FIFO, socket or device; only files, folders and links can be moved to another disk`,
    );
  }
  await mkdir(target, 0o700);
  const from = await openFolder(fromParent, fromName);
  const to = await open(target, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const child of await readdir(fdPath(from))) await copyTree(from, child, to, child);
    const made = await open(fdPath(to), O_RDONLY | O_DIRECTORY);
    try {
      await made.chmod(stats.mode & 0o7777);
      await made.utimes(stats.atime, stats.mtime);
    } finally {
      await made.close();
    }
  } finally {
    await Promise.all([from.close(), to.close()]);
  }
}

async function copyFile(source: string, target: string, stats: Stats): Promise<void> {
  const input = await open(source, O_RDONLY | O_NOFOLLOW);
  try {
    const output = await open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
      let position = 0;
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, COPY_CHUNK_BYTES, position);
        if (bytesRead === 0) break;
        await output.write(buffer, 0, bytesRead, position);
        position += bytesRead;
      }
      await output.chmod(stats.mode & 0o7777);
      await output.utimes(stats.atime, stats.mtime);
      await output.sync();
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** Removes an entry and, for a folder, everything in it, without following links. */
export async function removeTree(parent: FdHolder, name: string): Promise<void> {
  const target = fdPath(parent, name);
  let stats: Stats;
  try {
    stats = await lstat(target);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!stats.isDirectory()) {
    await unlink(target);
    return;
  }
  const folder = await open(target, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const child of await readdir(fdPath(folder))) await removeTree(folder, child);
  } finally {
    await folder.close();
  }
  await rmdir(target);
}

/** An O_PATH descriptor on a folder of Steward's own (the trash), created when missing. */
export async function openOwnFolder(folder: string, create: boolean): Promise<FileHandle> {
  if (create) await mkdir(folder, { recursive: true, mode: 0o700 });
  return open(folder, O_PATH | O_DIRECTORY | O_NOFOLLOW);
}
