import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import type { ReadableFd } from '../containment/descriptor.js';
import { Inject, Injectable } from '@nestjs/common';
import { StewardError } from '@steward/contracts';
import type { TaskAccess } from '../access/fs-access.js';
import { atomicWrite, type ExpectedPrevious } from '../containment/atomic-write.js';
import { errnoCode, toStewardError } from '../containment/fs-errors.js';
import { readCapped, looksBinary } from '../containment/read-capped.js';
import { fdPath, type OpenedPath } from '../containment/safe-open.js';
import { hashBytes } from '../journal/blob-store.js';
import { Journal } from '../journal/journal.js';
import { PathLocks, formatBytes, plural, withOpened } from './opened.js';

const { O_PATH_DIR } = { O_PATH_DIR: 0o10000000 | constants.O_DIRECTORY | constants.O_NOFOLLOW };

/** Files `edit_file` reads whole; a bigger one is edited with a script instead. */
export const MAX_EDIT_BYTES = 32 * 1024 * 1024;
/**
 * The largest file write_file replaces: a copy is kept for undo first. A bigger one is moved aside
 * (move_path, which costs nothing) instead.
 */
export const MAX_REPLACED_BYTES = 512 * 1024 * 1024;
/** How often a write starts over when someone outside Steward changed the file in between. */
const WRITE_ATTEMPTS = 3;

/** write_file, edit_file and make_directory, each journaled with what it replaced. */
@Injectable()
export class FileChanges {
  private readonly locks = new PathLocks();

  constructor(@Inject(Journal) private readonly journal: Journal) {}

  get pathLocks(): PathLocks {
    return this.locks;
  }

  async write(access: TaskAccess, requested: string, content: string) {
    const bytes = Buffer.from(content, 'utf8');
    return this.locks.run([requested], () =>
      retryOnConflict(() =>
        withOpened(access, requested, { kind: 'write-file', createParents: true }, async (opened) => {
          await this.journalCreatedFolders(access, opened.createdFolders, opened.root);
          const before = await this.keepPrevious(opened);
          const result = await atomicWrite(opened, bytes, {
            expectedPrevious: before === undefined ? 'absent' : before.expected,
          });
          await this.journal.record({
            taskId: access.taskId,
            op: 'write',
            root: opened.root,
            path: result.realPath,
            toPath: null,
            beforeKind: before === undefined ? 'absent' : 'file',
            beforeBlob: before?.blob ?? null,
            beforeMode: before?.mode ?? null,
            beforeMtimeMs: before?.expected.mtimeMs ?? null,
            trashId: null,
            afterSha256: hashBytes(bytes),
            afterIno: null,
          });
          const created = before === undefined;
          return {
            path: result.realPath,
            bytes: result.bytes,
            created,
            createdFolders: [...opened.createdFolders],
            output:
              `${created ? 'Created' : 'Replaced'} ${result.realPath} (${formatBytes(result.bytes)}, ` +
              `${plural(countLines(content), 'line')}).` +
              (opened.createdFolders.length > 0
                ? ` Created ${plural(opened.createdFolders.length, 'folder')} on the way.`
                : ''),
          };
        }),
      ),
    );
  }

  async edit(
    access: TaskAccess,
    request: { path: string; old_string: string; new_string: string; replace_all?: boolean | undefined },
  ) {
    return this.locks.run([request.path], () =>
      retryOnConflict(() =>
        withOpened(access, request.path, { kind: 'write-file' }, async (opened) => {
          if (!opened.exists || opened.fd === undefined) {
            throw new StewardError(
              opened.exists ? 'DENIED_BY_POLICY' : 'NOT_FOUND',
              opened.exists
                ? `${request.path} cannot be read by Steward, so it cannot be edited`
                : `${request.path} does not exist; create it with write_file`,
            );
          }
          const stats = await opened.fd.stat();
          const bytes = await readCapped(opened, { maxBytes: MAX_EDIT_BYTES });
          if (looksBinary(bytes)) {
            throw new StewardError(
              'NOT_TEXT',
              `${request.path} is not UTF-8 text; edit_file changes text files only`,
            );
          }
          const text = Buffer.from(bytes).toString('utf8');
          const count = countOccurrences(text, request.old_string);
          if (count === 0) {
            throw new StewardError(
              'NOT_FOUND',
              `old_string was not found in ${request.path}; read the file again and copy the text exactly, whitespace included`,
            );
          }
          if (count > 1 && request.replace_all !== true) {
            throw new StewardError(
              'AMBIGUOUS_EDIT',
              `old_string occurs ${count} times in ${request.path}; include more surrounding text to make it unique, or set replace_all to replace all ${count}`,
              { details: { occurrences: count } },
            );
          }
          const next =
            request.replace_all === true
              ? text.split(request.old_string).join(request.new_string)
              : replaceOnce(text, request.old_string, request.new_string);
          const nextBytes = Buffer.from(next, 'utf8');
          const blob = await this.journal.blobs.storeBytes(bytes);
          const expected: ExpectedPrevious = { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size };
          const result = await atomicWrite(opened, nextBytes, { expectedPrevious: expected });
          await this.journal.record({
            taskId: access.taskId,
            op: 'edit',
            root: opened.root,
            path: result.realPath,
            toPath: null,
            beforeKind: 'file',
            beforeBlob: blob.sha256,
            beforeMode: stats.mode & 0o7777,
            beforeMtimeMs: stats.mtimeMs,
            trashId: null,
            afterSha256: hashBytes(nextBytes),
            afterIno: null,
          });
          return {
            path: result.realPath,
            replacements: count,
            bytes: result.bytes,
            output: `Edited ${result.realPath}: replaced ${plural(count, 'occurrence')} (${formatBytes(result.bytes)} now).`,
          };
        }),
      ),
    );
  }

  async makeDirectory(access: TaskAccess, requested: string) {
    return this.locks.run([requested], () =>
      withOpened(access, requested, { kind: 'make-dir', createParents: true }, async (opened) => {
        const created = [...opened.createdFolders];
        if (!opened.exists) {
          try {
            await mkdir(fdPath(opened.parentFd, opened.name), 0o777);
            created.push(opened.realPath);
          } catch (error) {
            if (errnoCode(error) !== 'EEXIST') throw toStewardError(error, requested);
            const now = await lstat(fdPath(opened.parentFd, opened.name));
            if (!now.isDirectory())
              throw new StewardError('EXISTS', `${requested} already exists and is not a folder`);
          }
        }
        await this.journalCreatedFolders(access, created, opened.root, opened);
        return {
          path: opened.realPath,
          createdFolders: created,
          output:
            created.length === 0
              ? `${opened.realPath} already exists.`
              : `Created ${created.length === 1 ? 'folder' : 'folders'} ${created.join(', ')}.`,
        };
      }),
    );
  }

  /** Each folder made on the way is journaled, so undo removes it again when it is empty. */
  async journalCreatedFolders(
    access: TaskAccess,
    folders: readonly string[],
    root: string,
    last?: OpenedPath,
  ): Promise<void> {
    for (const folder of folders) {
      const ino = (await this.inodeOf(folder, last)) ?? null;
      await this.journal.record({
        taskId: access.taskId,
        op: 'mkdir',
        root,
        path: folder,
        toPath: null,
        beforeKind: 'absent',
        beforeBlob: null,
        beforeMode: null,
        beforeMtimeMs: null,
        trashId: null,
        afterSha256: null,
        afterIno: ino,
      });
    }
  }

  private async inodeOf(folder: string, last: OpenedPath | undefined): Promise<number | undefined> {
    if (last !== undefined && last.realPath === folder) {
      const handle = await open(fdPath(last.parentFd, last.name), O_PATH_DIR).catch(() => undefined);
      if (handle === undefined) return undefined;
      try {
        return (await handle.stat()).ino;
      } finally {
        await handle.close();
      }
    }
    return (await lstat(folder).catch(() => undefined))?.ino;
  }

  /** Copies the file about to be replaced into the journal; undefined when nothing stands there. */
  private async keepPrevious(
    opened: OpenedPath,
  ): Promise<{ blob: string; mode: number; expected: ExpectedPrevious } | undefined> {
    if (!opened.exists) return undefined;
    const handle: ReadableFd | undefined = opened.fd;
    if (handle === undefined) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${opened.realPath} cannot be read by Steward, so a copy for undo cannot be kept; not replaced`,
      );
    }
    const stats = await handle.stat();
    if (stats.size > MAX_REPLACED_BYTES) {
      throw new StewardError(
        'TOO_LARGE',
        `${opened.realPath} is ${formatBytes(stats.size)}; Steward keeps a copy of what it replaces for undo, ` +
          `up to ${formatBytes(MAX_REPLACED_BYTES)}. Move it aside with move_path first.`,
      );
    }
    const blob = await this.journal.blobs.storeFrom(handle);
    const after = await handle.stat();
    if (after.size !== stats.size || after.mtimeMs !== stats.mtimeMs) {
      throw new StewardError('EXISTS', `${opened.realPath} changed while being read`, {
        details: { conflict: true },
      });
    }
    return {
      blob: blob.sha256,
      mode: stats.mode & 0o7777,
      expected: { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size },
    };
  }
}

/** A write whose file changed under it (outside Steward) starts over, a few times. */
async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      const conflict =
        error instanceof StewardError &&
        error.code === 'EXISTS' &&
        (error.details as { conflict?: boolean } | undefined)?.conflict === true;
      if (!conflict || tries >= WRITE_ATTEMPTS) throw error;
    }
  }
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

function replaceOnce(text: string, needle: string, replacement: string): string {
  const at = text.indexOf(needle);
  return text.slice(0, at) + replacement + text.slice(at + needle.length);
}

function countLines(content: string): number {
  if (content === '') return 0;
  const newlines = content.split('\n').length - 1;
  return content.endsWith('\n') ? newlines : newlines + 1;
}
