import { constants } from 'node:fs';
import { open, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { eventSubject, StewardError } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import type { TaskAccess } from '../access/fs-access.js';
import { FsAccess } from '../access/fs-access.js';
import { atomicWrite } from '../containment/atomic-write.js';
import { errnoCode, toStewardError } from '../containment/fs-errors.js';
import { isWithin } from '../containment/path-rules.js';
import { fdPath, openInside, type OpenedPath } from '../containment/safe-open.js';
import { Journal } from '../journal/journal.js';
import type { JournalRecord } from '../store/fs-records.entity.js';
import { hashHandleAt } from '../tools/hash-at.js';
import { FileChanges } from '../tools/file-changes.js';
import { withOpened } from '../tools/opened.js';
import { moveEntry } from '../trash/tree-ops.js';
import { Trash } from '../trash/trash.js';

/** What a path must hold for undo to be sure no one else changed it since the task did. */
type Expected =
  | { readonly kind: 'file'; readonly sha256: string }
  | { readonly kind: 'folder'; readonly ino: number | null }
  | { readonly kind: 'entry'; readonly ino: number | null }
  | { readonly kind: 'absent' };

export interface UndoStep {
  op: JournalRecord['op'];
  path: string;
  action: string;
}
export interface UndoConflict {
  path: string;
  reason: string;
}

/**
 * Puts a task's folders back as they were: first checks every path the task touched still holds
 * what the task left there, then reverses the journal newest first. Someone else's later change
 * is never overwritten: it is a conflict, listed, and (unless told to skip them) nothing is undone.
 */
@Injectable()
export class Undo {
  constructor(
    @Inject(FsAccess) private readonly access: FsAccess,
    @Inject(Journal) private readonly journal: Journal,
    @Inject(Trash) private readonly trash: Trash,
    @Inject(FileChanges) private readonly files: FileChanges,
    @Inject(BusClient) private readonly bus: BusClient,
  ) {}

  async undo(request: { taskId: string; skipConflicts?: boolean | undefined; dryRun?: boolean | undefined }) {
    const pending = await this.journal.pending(request.taskId);
    const dryRun = request.dryRun === true;
    if (pending.length === 0) return { steps: [], conflicts: [], dryRun };
    const access = await this.access.forRecordedTask(request.taskId);
    const touched = pending.flatMap((entry) =>
      entry.toPath === null ? [entry.path] : [entry.path, entry.toPath],
    );
    return this.files.pathLocks.run(touched, async () => {
      const conflicts = await this.findConflicts(access, [...pending].reverse());
      if (conflicts.length > 0 && request.skipConflicts !== true && !dryRun) {
        throw new StewardError(
          'EXISTS',
          `${conflicts.length === 1 ? 'a file was' : `${conflicts.length} files were`} changed since by someone else; nothing was undone: ` +
            conflicts.map((conflict) => `${conflict.path} (${conflict.reason})`).join('; '),
          { details: { conflicts } },
        );
      }
      const blocked = (entry: JournalRecord): boolean =>
        conflicts.some(
          (conflict) =>
            isWithin(conflict.path, entry.path) ||
            isWithin(entry.path, conflict.path) ||
            (entry.toPath !== null &&
              (isWithin(conflict.path, entry.toPath) || isWithin(entry.toPath, conflict.path))),
        );
      const steps: UndoStep[] = [];
      for (const entry of pending) {
        if (blocked(entry)) continue;
        const action = dryRun ? describePlanned(entry) : await this.reverse(access, entry);
        if (!dryRun) await this.journal.markUndone([entry.seq]);
        steps.push({ op: entry.op, path: entry.path, action });
      }
      if (!dryRun) {
        this.publish(request.taskId, steps, conflicts);
      }
      return { steps, conflicts, dryRun };
    });
  }

  private publish(taskId: string, steps: UndoStep[], conflicts: UndoConflict[]): void {
    try {
      this.bus.publish(eventSubject('fs-service', 'task', taskId, 'undone'), { taskId, steps, conflicts });
    } catch {
      // The folders are restored and the journal says so; the event is only a notification.
    }
  }

  /** Replays the journal oldest first into what each path should hold now, and compares. */
  private async findConflicts(
    access: TaskAccess,
    oldestFirst: readonly JournalRecord[],
  ): Promise<UndoConflict[]> {
    const expected = new Map<string, Expected>();
    const moveUnder = (from: string, to: string): void => {
      for (const [key, value] of [...expected]) {
        if (key !== from && isWithin(from, key)) {
          expected.delete(key);
          expected.set(path.posix.join(to, path.posix.relative(from, key)), value);
        }
      }
    };
    const dropUnder = (gone: string): void => {
      for (const key of [...expected.keys()]) if (key !== gone && isWithin(gone, key)) expected.delete(key);
    };
    for (const entry of oldestFirst) {
      switch (entry.op) {
        case 'write':
        case 'edit':
          expected.set(entry.path, { kind: 'file', sha256: entry.afterSha256 ?? '' });
          break;
        case 'mkdir':
          expected.set(entry.path, { kind: 'folder', ino: entry.afterIno });
          break;
        case 'move': {
          const to = entry.toPath ?? entry.path;
          moveUnder(entry.path, to);
          expected.set(entry.path, { kind: 'absent' });
          expected.set(
            to,
            entry.afterSha256 !== null
              ? { kind: 'file', sha256: entry.afterSha256 }
              : { kind: 'entry', ino: entry.afterIno },
          );
          break;
        }
        case 'delete':
          dropUnder(entry.path);
          expected.set(entry.path, { kind: 'absent' });
          break;
      }
    }
    const conflicts: UndoConflict[] = [];
    for (const [target, want] of expected) {
      const reason = await this.differs(access, target, want);
      if (reason !== undefined) conflicts.push({ path: target, reason });
    }
    return conflicts;
  }

  private async differs(access: TaskAccess, target: string, want: Expected): Promise<string | undefined> {
    let opened: OpenedPath;
    try {
      opened = await openInside(access.roots, target, { kind: 'entry' }, undoOpenOptions(access));
    } catch (error) {
      const failure = toStewardError(error, target);
      if (failure.code === 'NOT_FOUND' && want.kind === 'absent') return undefined;
      if (failure.code === 'NOT_FOUND') return 'it no longer exists';
      return failure.message;
    }
    try {
      const stats = opened.stats;
      if (want.kind === 'absent') return stats === undefined ? undefined : 'something new stands there';
      if (stats === undefined) return 'it no longer exists';
      if (want.kind === 'folder') {
        if (!stats.isDirectory()) return 'it is no longer a folder';
        return want.ino !== null && stats.ino !== want.ino ? 'it was replaced by another folder' : undefined;
      }
      if (want.kind === 'entry')
        return want.ino !== null && stats.ino !== want.ino ? 'it was replaced' : undefined;
      if (!stats.isFile()) return 'it is no longer a regular file';
      const sha = await hashHandleAt(opened.parentFd, opened.name);
      return sha === want.sha256 ? undefined : 'its content was changed';
    } finally {
      await opened.close();
    }
  }

  private async reverse(access: TaskAccess, entry: JournalRecord): Promise<string> {
    const options = undoOpenOptions(access);
    switch (entry.op) {
      case 'write':
      case 'edit':
        if (entry.beforeKind === 'absent') {
          const item = await withOpened(
            { ...access, open: options },
            entry.path,
            { kind: 'entry' },
            (opened) => this.trash.moveIn(opened, { taskId: entry.taskId, reason: 'undo' }),
          );
          return `removed the file the task created (kept in the trash as ${item.id})`;
        }
        await this.restoreBlob(access, entry);
        return 'restored the earlier content';
      case 'mkdir':
        try {
          await withOpened({ ...access, open: options }, entry.path, { kind: 'entry' }, async (opened) => {
            await rmdir(fdPath(opened.parentFd, opened.name));
          });
          return 'removed the folder the task created';
        } catch (error) {
          const code = errnoCode(error);
          if (code === 'ENOTEMPTY' || code === 'EEXIST')
            return 'left the folder in place: it holds files the task did not create';
          throw error;
        }
      case 'move': {
        const to = entry.toPath ?? entry.path;
        const source = await openInside(access.roots, to, { kind: 'entry' }, options);
        try {
          const back = await openInside(
            access.roots,
            entry.path,
            { kind: 'entry', createParents: true },
            options,
          );
          try {
            if (back.exists)
              throw new StewardError('EXISTS', `${entry.path} exists again; ${to} was not moved back`);
            await moveEntry(source.parentFd, source.name, back.parentFd, back.name);
          } finally {
            await back.close();
          }
        } finally {
          await source.close();
        }
        return `moved it back from ${to}`;
      }
      case 'delete': {
        if (entry.trashId === null)
          throw new StewardError('INTERNAL', `journal entry ${entry.seq} has no trash item`);
        const record = await this.trash.get(entry.trashId);
        await withOpened(
          { ...access, open: options },
          entry.path,
          { kind: 'entry', createParents: true },
          (opened) => this.trash.moveOut(record, opened),
        );
        return 'restored it from the trash';
      }
    }
  }

  private async restoreBlob(access: TaskAccess, entry: JournalRecord): Promise<void> {
    if (entry.beforeBlob === null)
      throw new StewardError('INTERNAL', `journal entry ${entry.seq} kept no copy`);
    const blob = await this.journal.blobs.open(entry.beforeBlob).catch(() => {
      throw new StewardError('NOT_FOUND', `the copy of ${entry.path} kept for undo is gone`);
    });
    let bytes: Buffer;
    try {
      bytes = await blob.readFile();
    } finally {
      await blob.close();
    }
    await withOpened(
      { ...access, open: undoOpenOptions(access) },
      entry.path,
      { kind: 'write-file' },
      async (opened) => {
        const current = opened.stats;
        await atomicWrite(opened, bytes, {
          expectedPrevious:
            current === undefined
              ? 'absent'
              : { ino: current.ino, mtimeMs: current.mtimeMs, size: current.size },
        });
        const restored = await open(
          fdPath(opened.parentFd, opened.name),
          constants.O_RDONLY | constants.O_NOFOLLOW,
        );
        try {
          if (entry.beforeMode !== null) await restored.chmod(entry.beforeMode & 0o7777);
          if (entry.beforeMtimeMs !== null) {
            const time = new Date(entry.beforeMtimeMs);
            await restored.utimes(time, time);
          }
        } finally {
          await restored.close();
        }
      },
    );
  }
}

/** Undo puts back what was there before, protected files included: the task's own change is reversed. */
function undoOpenOptions(access: TaskAccess): TaskAccess['open'] {
  return { ...access.open, allowProtectedWrites: true };
}

function describePlanned(entry: JournalRecord): string {
  switch (entry.op) {
    case 'write':
    case 'edit':
      return entry.beforeKind === 'absent'
        ? 'would remove the file the task created'
        : 'would restore the earlier content';
    case 'mkdir':
      return 'would remove the folder the task created, if empty';
    case 'move':
      return `would move it back from ${entry.toPath ?? entry.path}`;
    case 'delete':
      return 'would restore it from the trash';
  }
}
