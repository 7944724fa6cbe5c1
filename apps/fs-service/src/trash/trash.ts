import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { StewardError, type TrashItem } from '@steward/contracts';
import type { RuntimeConfig } from '@steward/config';
import { DATABASE, RUNTIME_CONFIG } from '@steward/runtime';
import { In, type DataSource, type Repository } from 'typeorm';
import type { OpenedPath } from '../containment/safe-open.js';
import { TrashRecord, type TrashReason } from '../store/fs-records.entity.js';
import { moveEntry, openOwnFolder, scanTree } from './tree-ops.js';

/** Name of the moved entry inside its item folder: the original name is in the record. */
const ITEM_NAME = 'item';
/** A trashed tree is listed once to count it; bigger ones are refused before anything moves. */
export const MAX_TRASH_ENTRIES = 200_000;

/**
 * `$STEWARD_HOME/trash/<id>/item`: what deletes, overwriting moves and undos took out of connected
 * folders, with where it came from. Nothing here is removed except by an explicit empty.
 */
@Injectable()
export class Trash {
  private readonly items: Repository<TrashRecord>;
  private readonly dir: string;

  constructor(@Inject(DATABASE) database: DataSource, @Inject(RUNTIME_CONFIG) config: RuntimeConfig) {
    this.items = database.getRepository(TrashRecord);
    this.dir = config.paths.trashDir;
  }

  /** Moves the entry `opened` names (opened with intent `entry`) into the trash. */
  async moveIn(
    opened: OpenedPath,
    context: { readonly taskId: string | null; readonly reason: TrashReason },
  ): Promise<TrashRecord> {
    if (opened.isRoot) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${opened.realPath} is a connected folder; it is never deleted`,
      );
    }
    const scan = await scanTree(opened.parentFd, opened.name, opened.realPath, MAX_TRASH_ENTRIES, 0);
    if (scan.kind === 'other') {
      throw new StewardError(
        'INVALID_INPUT',
        `${opened.realPath} is a FIFO, socket or device, not a file or folder`,
      );
    }
    const id = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const trash = await openOwnFolder(this.dir, true);
    let itemFolder;
    try {
      const itemPath = path.join(this.dir, id);
      itemFolder = await openOwnFolder(itemPath, true);
      await moveEntry(opened.parentFd, opened.name, itemFolder, ITEM_NAME);
    } finally {
      await itemFolder?.close();
      await trash.close();
    }
    return this.items.save({
      id,
      taskId: context.taskId,
      originalPath: opened.realPath,
      root: opened.root,
      kind: scan.kind,
      files: scan.files,
      bytes: scan.bytes,
      deletedAt: new Date().toISOString(),
      reason: context.reason,
      state: 'present',
    });
  }

  /**
   * Moves a trash item back to the place `target` names (opened with intent `entry`, where nothing
   * stands now).
   */
  async moveOut(record: TrashRecord, target: OpenedPath): Promise<void> {
    if (target.exists) {
      throw new StewardError(
        'EXISTS',
        `${record.originalPath} exists again; the trashed copy was not put back`,
        {
          details: { path: record.originalPath, trashId: record.id },
        },
      );
    }
    const itemFolder = await openOwnFolder(path.join(this.dir, record.id), false).catch(() => {
      throw new StewardError('NOT_FOUND', `trash item ${record.id} is missing from ${this.dir}`);
    });
    try {
      await moveEntry(itemFolder, ITEM_NAME, target.parentFd, target.name);
    } finally {
      await itemFolder.close();
    }
    await this.items.update({ id: record.id }, { state: 'restored' });
    await rm(path.join(this.dir, record.id), { recursive: true, force: true });
  }

  async get(id: string): Promise<TrashRecord> {
    const record = await this.items.findOneBy({ id });
    if (record === null || record.state !== 'present') {
      throw new StewardError('NOT_FOUND', `trash item ${id} does not exist (restored or emptied already?)`);
    }
    return record;
  }

  async list(taskId?: string): Promise<{ items: TrashItem[]; totalBytes: number }> {
    const records = await this.items.find({
      where: taskId === undefined ? { state: 'present' } : { state: 'present', taskId },
      order: { deletedAt: 'DESC' },
    });
    return {
      items: records.map(toItem),
      totalBytes: records.reduce((sum, record) => sum + record.bytes, 0),
    };
  }

  /** Removes items for good. Emptying is the person's explicit action, never the agent's. */
  async empty(ids?: readonly string[]): Promise<{ removed: number; bytesFreed: number }> {
    const records =
      ids === undefined
        ? await this.items.findBy({ state: 'present' })
        : await this.items.findBy({ id: In([...ids]), state: 'present' });
    if (ids !== undefined && records.length !== new Set(ids).size) {
      const found = new Set(records.map((record) => record.id));
      const missing = ids.filter((id) => !found.has(id));
      throw new StewardError('NOT_FOUND', `not in the trash: ${missing.join(', ')}`, {
        details: { missing },
      });
    }
    let bytesFreed = 0;
    for (const record of records) {
      // rm never follows symlinks inside the tree it removes.
      await rm(path.join(this.dir, record.id), { recursive: true, force: true });
      await this.items.update({ id: record.id }, { state: 'emptied' });
      bytesFreed += record.bytes;
    }
    return { removed: records.length, bytesFreed };
  }
}

function toItem(record: TrashRecord): TrashItem {
  return {
    id: record.id,
    originalPath: record.originalPath,
    kind: record.kind,
    files: record.files,
    bytes: record.bytes,
    deletedAt: record.deletedAt,
    ...(record.taskId === null ? {} : { taskId: record.taskId }),
    reason: record.reason,
  };
}
