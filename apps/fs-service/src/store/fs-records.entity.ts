import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/*
 * fs-service's own records. Column types are spelled out because test transforms do not emit
 * decorator metadata.
 */

/** The folders a task was opened with, as real paths: what every request of the task is checked against. */
@Entity({ name: 'fs_task' })
export class FsTaskRecord {
  @PrimaryColumn({ type: 'text', name: 'task_id' })
  taskId!: string;

  /** JSON array of real paths. */
  @Column({ type: 'text' })
  roots!: string;

  @Column({ type: 'text', name: 'opened_at' })
  openedAt!: string;

  @Column({ type: 'text', name: 'closed_at', nullable: true })
  closedAt!: string | null;
}

export type JournalOp = 'write' | 'edit' | 'mkdir' | 'move' | 'delete';

/** What stood at a path: nothing, a file whose bytes are kept in the blob store, or a folder. */
export type BeforeKind = 'absent' | 'file' | 'trash';

/**
 * One change a task made, with what it replaced, in the order made. Undo walks them backwards and
 * first checks that every path is still as the task left it (`after_*`).
 */
@Entity({ name: 'fs_journal' })
@Index('fs_journal_task', ['taskId', 'seq'])
export class JournalRecord {
  @PrimaryGeneratedColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text', name: 'task_id' })
  taskId!: string;

  @Column({ type: 'text' })
  op!: JournalOp;

  /** The connected folder the change happened in. */
  @Column({ type: 'text' })
  root!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ type: 'text', name: 'to_path', nullable: true })
  toPath!: string | null;

  @Column({ type: 'text', name: 'before_kind' })
  beforeKind!: BeforeKind;

  /** sha256 of the replaced content, kept in the blob store. */
  @Column({ type: 'text', name: 'before_blob', nullable: true })
  beforeBlob!: string | null;

  @Column({ type: 'integer', name: 'before_mode', nullable: true })
  beforeMode!: number | null;

  @Column({ type: 'real', name: 'before_mtime_ms', nullable: true })
  beforeMtimeMs!: number | null;

  /** Trash item holding what a delete removed. */
  @Column({ type: 'text', name: 'trash_id', nullable: true })
  trashId!: string | null;

  /** sha256 of the file as the task left it (writes, edits, moved files). */
  @Column({ type: 'text', name: 'after_sha256', nullable: true })
  afterSha256!: string | null;

  /** Inode of what the task left (folders it made, things it moved). */
  @Column({ type: 'integer', name: 'after_ino', nullable: true })
  afterIno!: number | null;

  @Column({ type: 'text', name: 'created_at' })
  createdAt!: string;

  @Column({ type: 'text', name: 'undone_at', nullable: true })
  undoneAt!: string | null;
}

export type TrashReason = 'delete' | 'overwrite' | 'undo';
export type TrashState = 'present' | 'restored' | 'emptied';

/** Something moved out of a connected folder into `$STEWARD_HOME/trash/<id>/`. */
@Entity({ name: 'fs_trash' })
@Index('fs_trash_state', ['state', 'deletedAt'])
export class TrashRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', name: 'task_id', nullable: true })
  taskId!: string | null;

  @Column({ type: 'text', name: 'original_path' })
  originalPath!: string;

  /** The connected folder it was deleted from; a restore must stay inside it. */
  @Column({ type: 'text' })
  root!: string;

  @Column({ type: 'text' })
  kind!: 'file' | 'directory' | 'symlink';

  @Column({ type: 'integer' })
  files!: number;

  @Column({ type: 'integer' })
  bytes!: number;

  @Column({ type: 'text', name: 'deleted_at' })
  deletedAt!: string;

  @Column({ type: 'text' })
  reason!: TrashReason;

  @Column({ type: 'text' })
  state!: TrashState;
}

export const FS_ENTITIES = [FsTaskRecord, JournalRecord, TrashRecord];
