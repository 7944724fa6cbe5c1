import { lstat } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { MAX_DELETE_PREVIEW_ENTRIES, StewardError, type DeletePreview } from '@steward/contracts';
import type { TaskAccess } from '../access/fs-access.js';
import { toStewardError } from '../containment/fs-errors.js';
import { isWithin } from '../containment/path-rules.js';
import { fdPath, openInside, type OpenedPath } from '../containment/safe-open.js';
import { Journal } from '../journal/journal.js';
import { kindOf, moveEntry, scanTree } from '../trash/tree-ops.js';
import { Trash, MAX_TRASH_ENTRIES } from '../trash/trash.js';
import { FileChanges } from './file-changes.js';
import { formatBytes, plural, withOpened } from './opened.js';

export interface DeleteApproval {
  readonly approvalId: string;
  readonly digest: string;
  readonly bulkConfirmed?: boolean | undefined;
}

/** move_path and delete_path (through its preview and the person's approval), journaled. */
@Injectable()
export class PathOps {
  constructor(
    @Inject(Journal) private readonly journal: Journal,
    @Inject(Trash) private readonly trash: Trash,
    @Inject(FileChanges) private readonly files: FileChanges,
  ) {}

  async move(access: TaskAccess, request: { from: string; to: string; overwrite?: boolean | undefined }) {
    return this.files.pathLocks.run([request.from, request.to], async () => {
      const from = await openInside(access.roots, request.from, { kind: 'entry' }, access.open);
      try {
        if (!from.exists) throw new StewardError('NOT_FOUND', `${request.from} does not exist`);
        if (from.isRoot) {
          throw new StewardError(
            'DENIED_BY_POLICY',
            `${request.from} is a connected folder; it cannot be moved`,
          );
        }
        const to = await openInside(
          access.roots,
          request.to,
          { kind: 'entry', createParents: true },
          access.open,
        );
        try {
          return await this.moveOpened(access, from, to, request);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
  }

  private async moveOpened(
    access: TaskAccess,
    from: OpenedPath,
    to: OpenedPath,
    request: { from: string; to: string; overwrite?: boolean | undefined },
  ) {
    const fromStats = from.stats;
    if (fromStats === undefined) throw new StewardError('NOT_FOUND', `${request.from} does not exist`);
    const kind = kindOf(fromStats);
    if (kind === 'other') {
      throw new StewardError('INVALID_INPUT', `${request.from} is a FIFO, socket or device; it is not moved`);
    }
    if (to.isRoot || isWithin(from.realPath, to.realPath)) {
      throw new StewardError(
        'INVALID_INPUT',
        `${request.to} is inside ${request.from}; a folder cannot move into itself`,
      );
    }
    await this.files.journalCreatedFolders(access, to.createdFolders, to.root);
    let replacedTrashId: string | undefined;
    if (to.exists && to.realPath !== from.realPath) {
      if (request.overwrite !== true) {
        throw new StewardError(
          'EXISTS',
          `${request.to} already exists; nothing was moved (set overwrite to replace a file)`,
        );
      }
      if (to.stats === undefined || !to.stats.isFile() || kind !== 'file') {
        throw new StewardError(
          'EXISTS',
          `${request.to} exists and is not a file; only a file replaces a file`,
        );
      }
      const replaced = await this.trash.moveIn(to, { taskId: access.taskId, reason: 'overwrite' });
      replacedTrashId = replaced.id;
      await this.journal.record({
        taskId: access.taskId,
        op: 'delete',
        root: to.root,
        path: to.realPath,
        toPath: null,
        beforeKind: 'trash',
        beforeBlob: null,
        beforeMode: null,
        beforeMtimeMs: null,
        trashId: replaced.id,
        afterSha256: null,
        afterIno: null,
      });
    }
    try {
      await moveEntry(from.parentFd, from.name, to.parentFd, to.name);
    } catch (error) {
      throw toStewardError(error, request.from);
    }
    const moved = await lstat(fdPath(to.parentFd, to.name));
    await this.journal.record({
      taskId: access.taskId,
      op: 'move',
      root: from.root,
      path: from.realPath,
      toPath: to.realPath,
      beforeKind: 'absent',
      beforeBlob: null,
      beforeMode: null,
      beforeMtimeMs: null,
      trashId: null,
      // A rename keeps the inode: that identifies what undo moves back, without reading a byte of it.
      afterSha256: null,
      afterIno: moved.ino,
    });
    return {
      from: from.realPath,
      to: to.realPath,
      kind,
      ...(replacedTrashId === undefined ? {} : { replacedTrashId }),
      output:
        `Moved ${from.realPath} to ${to.realPath}.` +
        (replacedTrashId === undefined ? '' : ' The file that stood there went to the trash.'),
    };
  }

  async preview(access: TaskAccess, requested: string): Promise<DeletePreview> {
    return withOpened(access, requested, { kind: 'entry' }, (opened) =>
      this.previewOpened(access, opened, requested),
    );
  }

  private async previewOpened(
    access: TaskAccess,
    opened: OpenedPath,
    requested: string,
  ): Promise<DeletePreview> {
    if (!opened.exists) throw new StewardError('NOT_FOUND', `${requested} does not exist`);
    if (opened.isRoot) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${requested} is a connected folder; Steward never deletes a connected folder itself`,
      );
    }
    const scan = await scanTree(
      opened.parentFd,
      opened.name,
      opened.realPath,
      MAX_TRASH_ENTRIES,
      MAX_DELETE_PREVIEW_ENTRIES,
    );
    if (scan.kind === 'other') {
      throw new StewardError(
        'INVALID_INPUT',
        `${requested} is a FIFO, socket or device, not a file or folder`,
      );
    }
    return {
      path: opened.realPath,
      kind: scan.kind,
      files: scan.files,
      folders: scan.folders,
      bytes: scan.bytes,
      entries: scan.entries.map((entry) => ({
        path: entry.path,
        kind: entry.kind,
        size: entry.size,
      })),
      entriesTruncated: scan.total > scan.entries.length,
      digest: scan.digest,
      bulk: scan.files > access.bulkDeleteThreshold,
      bulkThreshold: access.bulkDeleteThreshold,
    };
  }

  async delete(access: TaskAccess, requested: string, approval: DeleteApproval | undefined) {
    return this.files.pathLocks.run([requested], () =>
      withOpened(access, requested, { kind: 'entry' }, async (opened) => {
        const preview = await this.previewOpened(access, opened, requested);
        if (approval === undefined) {
          throw new StewardError(
            'NEEDS_APPROVAL',
            `deleting ${preview.path} needs the person's approval: ${describe(preview)}`,
            { details: { preview } },
          );
        }
        if (approval.digest !== preview.digest) {
          throw new StewardError(
            'NEEDS_APPROVAL',
            `${preview.path} changed since the person approved deleting it; ask again: ${describe(preview)}`,
            { details: { preview, stale: true } },
          );
        }
        if (preview.bulk && approval.bulkConfirmed !== true) {
          throw new StewardError(
            'NEEDS_APPROVAL',
            `deleting ${plural(preview.files, 'file')} is a bulk delete (over ${preview.bulkThreshold}); the person must confirm it as such`,
            { details: { preview, bulk: true } },
          );
        }
        const item = await this.trash.moveIn(opened, { taskId: access.taskId, reason: 'delete' });
        await this.journal.record({
          taskId: access.taskId,
          op: 'delete',
          root: opened.root,
          path: opened.realPath,
          toPath: null,
          beforeKind: 'trash',
          beforeBlob: null,
          beforeMode: null,
          beforeMtimeMs: null,
          trashId: item.id,
          afterSha256: null,
          afterIno: null,
        });
        return {
          path: opened.realPath,
          trashId: item.id,
          files: item.files,
          bytes: item.bytes,
          output: `Moved ${opened.realPath} to the trash (${describe(preview)}); it can be restored from there.`,
        };
      }),
    );
  }
}

function describe(preview: DeletePreview): string {
  if (preview.kind === 'directory') {
    return `a folder with ${plural(preview.files, 'file')} and ${plural(preview.folders - 1, 'subfolder')}, ${formatBytes(preview.bytes)}`;
  }
  return preview.kind === 'symlink' ? 'a symbolic link' : `a file of ${formatBytes(preview.bytes)}`;
}
