import path from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { eventSubject, type FileChange } from '@steward/contracts';
import type { RuntimeConfig } from '@steward/config';
import { BusClient } from '@steward/messaging';
import { DATABASE, RUNTIME_CONFIG } from '@steward/runtime';
import { In, IsNull, LessThan, type DataSource, type Repository } from 'typeorm';
import { isWithin } from '../containment/path-rules.js';
import { JournalRecord } from '../store/fs-records.entity.js';
import { BlobStore } from './blob-store.js';

/** How long a task's changes stay undoable. */
export const JOURNAL_RETENTION_DAYS = 30;

export type NewJournalEntry = Omit<JournalRecord, 'seq' | 'createdAt' | 'undoneAt'>;

/**
 * Every change a task makes to a connected folder, with what it replaced, in order; each one is
 * also an `events.fs.task.<taskId>.changed` event so the page can list what a task produced.
 */
@Injectable()
export class Journal implements OnModuleInit {
  readonly blobs: BlobStore;
  private readonly records: Repository<JournalRecord>;
  private readonly log = new Logger('journal');

  constructor(
    @Inject(DATABASE) database: DataSource,
    @Inject(RUNTIME_CONFIG) config: RuntimeConfig,
    @Inject(BusClient) private readonly bus: BusClient,
  ) {
    this.records = database.getRepository(JournalRecord);
    this.blobs = new BlobStore(path.join(config.paths.dataDir, 'fs-journal'));
  }

  async onModuleInit(): Promise<void> {
    await this.blobs.init();
    await this.prune();
  }

  async record(entry: NewJournalEntry): Promise<JournalRecord> {
    const saved = await this.records.save({
      ...entry,
      createdAt: new Date().toISOString(),
      undoneAt: null,
    });
    const change: FileChange & { taskId: string } = { taskId: saved.taskId, ...toChange(saved) };
    try {
      this.bus.publish(eventSubject('fs-service', 'task', saved.taskId, 'changed'), change);
    } catch (error) {
      // The change is made and journaled; a lost event must not turn it into a failure.
      this.log.warn(`could not publish the change event: ${String(error)}`);
    }
    return saved;
  }

  async entries(taskId: string): Promise<JournalRecord[]> {
    return this.records.find({ where: { taskId }, order: { seq: 'ASC' } });
  }

  /** Entries not undone yet, newest first: the order undo applies them in. */
  async pending(taskId: string): Promise<JournalRecord[]> {
    return this.records.find({ where: { taskId, undoneAt: IsNull() }, order: { seq: 'DESC' } });
  }

  async markUndone(seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.records.update({ seq: In([...seqs]) }, { undoneAt: new Date().toISOString() });
  }

  async changes(taskId: string): Promise<{ changes: FileChange[]; filesChanged: string[] }> {
    const entries = await this.entries(taskId);
    const files: string[] = [];
    const drop = (gone: string): void => {
      for (let i = files.length - 1; i >= 0; i -= 1) if (isWithin(gone, files[i] ?? '')) files.splice(i, 1);
    };
    for (const entry of entries) {
      if (entry.undoneAt !== null) continue;
      if (entry.op === 'write' || entry.op === 'edit') {
        if (!files.includes(entry.path)) files.push(entry.path);
      } else if (entry.op === 'move' && entry.toPath !== null) {
        const moved = files.filter((file) => isWithin(entry.path, file));
        drop(entry.path);
        const target = entry.toPath;
        if (moved.length === 0) files.push(target);
        for (const file of moved) files.push(path.posix.join(target, path.posix.relative(entry.path, file)));
      } else if (entry.op === 'delete') {
        drop(entry.path);
      }
    }
    return { changes: entries.map(toChange), filesChanged: files };
  }

  /** Drops entries past retention and the copies only they referred to. */
  private async prune(): Promise<void> {
    const cutoff = new Date(Date.now() - JOURNAL_RETENTION_DAYS * 86_400_000).toISOString();
    await this.records.delete({ createdAt: LessThan(cutoff) });
    const rows = await this.records
      .createQueryBuilder('entry')
      .select('DISTINCT entry.before_blob', 'blob')
      .where('entry.before_blob IS NOT NULL')
      .getRawMany<{ blob: string }>();
    await this.blobs.prune(new Set(rows.map((row) => row.blob)));
  }
}

function toChange(entry: JournalRecord): FileChange {
  return {
    seq: entry.seq,
    op: entry.op,
    path: entry.path,
    ...(entry.toPath === null ? {} : { to: entry.toPath }),
    at: entry.createdAt,
    undone: entry.undoneAt !== null,
  };
}
