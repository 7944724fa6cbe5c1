import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ApprovalMode, TaskStatus } from '@steward/contracts';

/*
 * The orchestrator's own records: every task, its conversation with the model, its tool calls and
 * approvals, written as they happen so a restart finds each task where it was. Column types are
 * spelled out because test transforms do not emit decorator metadata.
 */

@Entity({ name: 'task' })
@Index('task_created', ['createdAt'])
@Index('task_status', ['status'])
@Index('task_parent', ['parentId'])
@Index('task_project', ['projectId', 'createdAt'])
export class TaskRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', name: 'parent_id', nullable: true })
  parentId!: string | null;

  @Column({ type: 'text', name: 'project_id', nullable: true })
  projectId!: string | null;

  @Column({ type: 'text' })
  status!: TaskStatus;

  @Column({ type: 'text' })
  prompt!: string;

  /** JSON array of absolute paths. */
  @Column({ type: 'text' })
  folders!: string;

  /** `provider:model`. */
  @Column({ type: 'text' })
  model!: string;

  @Column({ type: 'text', name: 'approval_mode' })
  approvalMode!: ApprovalMode;

  /** JSON: [{ content, status }]. */
  @Column({ type: 'text' })
  todos!: string;

  @Column({ type: 'text' })
  scratchpad!: string;

  /** JSON array of absolute paths the task created or changed. */
  @Column({ type: 'text', name: 'files_changed' })
  filesChanged!: string;

  /** JSON TaskUsage. */
  @Column({ type: 'text' })
  usage!: string;

  /** JSON: "allow for the rest of this task" rules [{ tool, pattern }]. */
  @Column({ type: 'text' })
  rules!: string;

  /** JSON: messages the person sent while the task ran, not yet given to the model. */
  @Column({ type: 'text' })
  pending!: string;

  /** JSON: the sub-agent budget and description when this task is a child. */
  @Column({ type: 'text', name: 'child_of', nullable: true })
  childOf!: string | null;

  @Column({ type: 'integer' })
  turns!: number;

  /** How many times the task was picked up again after the orchestrator stopped under it. */
  @Column({ type: 'integer' })
  resumes!: number;

  @Column({ type: 'text', nullable: true })
  answer!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'text', name: 'created_at' })
  createdAt!: string;

  @Column({ type: 'text', name: 'updated_at' })
  updatedAt!: string;
}

export type MessageKind = 'prompt' | 'steer' | 'assistant' | 'tool_results' | 'summary';

/** One message of the conversation, in the model API's own shape (content blocks as JSON). */
@Entity({ name: 'task_message' })
@Index('task_message_task', ['taskId', 'seq'])
export class TaskMessageRecord {
  @PrimaryGeneratedColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text', name: 'task_id' })
  taskId!: string;

  @Column({ type: 'text' })
  role!: 'user' | 'assistant';

  @Column({ type: 'text' })
  kind!: MessageKind;

  /** JSON array of content blocks. */
  @Column({ type: 'text' })
  content!: string;

  /** Folded into a summary by compaction: kept for the record, no longer sent to the model. */
  @Column({ type: 'integer' })
  compacted!: number;

  @Column({ type: 'text', name: 'created_at' })
  createdAt!: string;
}

export type ToolCallStatus = 'pending' | 'waiting_approval' | 'running' | 'done' | 'denied' | 'unknown';

/** One tool call the model made, from arrival to result. */
@Entity({ name: 'tool_call' })
@Index('tool_call_task', ['taskId', 'messageSeq', 'position'])
export class ToolCallRecord {
  @PrimaryColumn({ type: 'text', name: 'task_id' })
  taskId!: string;

  /** The model's tool_use id. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** The assistant message that made the call. */
  @Column({ type: 'integer', name: 'message_seq' })
  messageSeq!: number;

  @Column({ type: 'integer' })
  position!: number;

  @Column({ type: 'text' })
  tool!: string;

  /** JSON, as the model sent it (validated or not). */
  @Column({ type: 'text' })
  input!: string;

  @Column({ type: 'text' })
  status!: ToolCallStatus;

  @Column({ type: 'text', nullable: true })
  decision!: string | null;

  @Column({ type: 'text', name: 'decision_source', nullable: true })
  decisionSource!: string | null;

  /** What the model is given (truncated with head and tail when large). */
  @Column({ type: 'text', name: 'result_text', nullable: true })
  resultText!: string | null;

  /** The whole result, kept on the task. */
  @Column({ type: 'text', name: 'full_result', nullable: true })
  fullResult!: string | null;

  @Column({ type: 'integer', name: 'is_error' })
  isError!: number;

  @Column({ type: 'text' })
  summary!: string;

  @Column({ type: 'text', name: 'started_at', nullable: true })
  startedAt!: string | null;

  @Column({ type: 'text', name: 'finished_at', nullable: true })
  finishedAt!: string | null;
}

export type ApprovalStatus = 'pending' | 'allowed' | 'denied' | 'expired';

/** A question put to the person about one exact tool call. */
@Entity({ name: 'approval' })
@Index('approval_task', ['taskId', 'createdAt'])
@Index('approval_status', ['status', 'expiresAt'])
export class ApprovalRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', name: 'task_id' })
  taskId!: string;

  @Column({ type: 'text', name: 'tool_call_id' })
  toolCallId!: string;

  @Column({ type: 'text' })
  tool!: string;

  /** JSON of the exact input shown; the approval holds for this input only. */
  @Column({ type: 'text' })
  input!: string;

  /** sha256 of tool + input (and, for deletes, fs-service's preview digest). */
  @Column({ type: 'text' })
  binding!: string;

  @Column({ type: 'text' })
  summary!: string;

  /** JSON array of paths, for deletes. */
  @Column({ type: 'text', nullable: true })
  targets!: string | null;

  /** fs-service's digest of the delete preview, passed back with the delete. */
  @Column({ type: 'text', name: 'preview_digest', nullable: true })
  previewDigest!: string | null;

  @Column({ type: 'integer', name: 'bulk' })
  bulk!: number;

  @Column({ type: 'text' })
  status!: ApprovalStatus;

  @Column({ type: 'text', name: 'decided_by', nullable: true })
  decidedBy!: 'person' | 'rule' | 'deadline' | null;

  @Column({ type: 'integer' })
  remember!: number;

  @Column({ type: 'text', name: 'created_at' })
  createdAt!: string;

  @Column({ type: 'text', name: 'expires_at' })
  expiresAt!: string;

  @Column({ type: 'text', name: 'decided_at', nullable: true })
  decidedAt!: string | null;
}

export const ORCHESTRATOR_ENTITIES = [TaskRecord, TaskMessageRecord, ToolCallRecord, ApprovalRecord];
