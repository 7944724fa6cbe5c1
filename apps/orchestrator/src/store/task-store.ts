import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from '@steward/runtime';
import {
  StewardError,
  TASK_FAILURE_LIMITS,
  type ApprovalView,
  type TaskFailure,
  type TaskStatus,
  type TaskSummary,
  type TaskUsage,
  type TaskView,
  type ToolCallView,
} from '@steward/contracts';
import type BetterSqlite3 from 'better-sqlite3';
import { In, type DataSource, type Repository } from 'typeorm';
import type { ChatMessage, ContentBlock } from '../model/model-types.js';
import { textOf } from '../model/model-types.js';
import {
  ApprovalRecord,
  TaskMessageRecord,
  TaskRecord,
  ToolCallRecord,
  type MessageKind,
  type ToolCallStatus,
} from './task.entities.js';

export interface Todo {
  readonly content: string;
  readonly status: 'pending' | 'in_progress' | 'completed';
}

export interface TaskRule {
  readonly tool: string;
  /** A folder (path tools) or a program name (run_command) the rule covers. */
  readonly pattern: string;
}

const now = (): string => new Date().toISOString();

export interface ConversationEntry {
  readonly seq: number;
  readonly kind: MessageKind;
  readonly message: ChatMessage;
}

/** Entity property → column, for the records written on every step of a task. */
const TASK_COLUMNS: Readonly<Record<keyof TaskRecord, string>> = {
  id: 'id',
  parentId: 'parent_id',
  projectId: 'project_id',
  status: 'status',
  prompt: 'prompt',
  folders: 'folders',
  model: 'model',
  approvalMode: 'approval_mode',
  todos: 'todos',
  scratchpad: 'scratchpad',
  filesChanged: 'files_changed',
  usage: 'usage',
  rules: 'rules',
  pending: 'pending',
  childOf: 'child_of',
  turns: 'turns',
  resumes: 'resumes',
  answer: 'answer',
  error: 'error',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

const CALL_COLUMNS: Readonly<Record<keyof ToolCallRecord, string>> = {
  taskId: 'task_id',
  id: 'id',
  messageSeq: 'message_seq',
  position: 'position',
  tool: 'tool',
  input: 'input',
  status: 'status',
  decision: 'decision',
  decisionSource: 'decision_source',
  resultText: 'result_text',
  fullResult: 'full_result',
  isError: 'is_error',
  summary: 'summary',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
};

function selectList(columns: Readonly<Record<string, string>>): string {
  return Object.entries(columns)
    .map(([property, column]) => `"${column}" AS "${property}"`)
    .join(', ');
}

/**
 * Every read and write of the orchestrator's records. Writes happen as things happen (a message
 * arrives, a call starts, a result comes back), so the database always says where a task is.
 */
@Injectable()
export class TaskStore {
  readonly tasks: Repository<TaskRecord>;
  readonly messages: Repository<TaskMessageRecord>;
  readonly calls: Repository<ToolCallRecord>;
  readonly approvals: Repository<ApprovalRecord>;

  /**
   * The connection underneath TypeORM. Every step of a task writes through prepared statements
   * here, and what must happen together happens in one synchronous transaction: TypeORM's async
   * transactions share this single connection, so two tasks' transactions would interleave.
   */
  private readonly sqlite: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(@Inject(DATABASE) database: DataSource) {
    this.tasks = database.getRepository(TaskRecord);
    this.messages = database.getRepository(TaskMessageRecord);
    this.calls = database.getRepository(ToolCallRecord);
    this.approvals = database.getRepository(ApprovalRecord);
    this.sqlite = (
      database.driver as unknown as { databaseConnection: BetterSqlite3.Database }
    ).databaseConnection;
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.sqlite.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  async insertTask(record: TaskRecord, prompt: ContentBlock[]): Promise<void> {
    const columns = Object.keys(TASK_COLUMNS) as Array<keyof TaskRecord>;
    const insert = this.statement(
      `INSERT INTO "task" (${columns.map((key) => `"${TASK_COLUMNS[key]}"`).join(', ')}) ` +
        `VALUES (${columns.map(() => '?').join(', ')})`,
    );
    this.sqlite.transaction(() => {
      insert.run(...columns.map((key) => record[key]));
      this.insertMessage(record.id, 'user', 'prompt', prompt, record.createdAt);
    })();
  }

  async task(taskId: string): Promise<TaskRecord> {
    const record = this.statement(`SELECT ${selectList(TASK_COLUMNS)} FROM "task" WHERE "id" = ?`).get(
      taskId,
    ) as TaskRecord | undefined;
    if (record === undefined) throw new StewardError('NOT_FOUND', `there is no task ${taskId}`);
    return record;
  }

  async update(taskId: string, changes: Partial<TaskRecord>): Promise<void> {
    this.updateNow(taskId, changes);
  }

  /** The update itself, synchronous, for use inside a transaction. */
  private updateNow(taskId: string, changes: Partial<TaskRecord>): void {
    const fields: Partial<TaskRecord> = { ...changes, updatedAt: now() };
    const keys = (Object.keys(fields) as Array<keyof TaskRecord>).filter(
      (key) => key !== 'id' && fields[key] !== undefined,
    );
    const sql = `UPDATE "task" SET ${keys.map((key) => `"${TASK_COLUMNS[key]}" = ?`).join(', ')} WHERE "id" = ?`;
    this.statement(sql).run(...keys.map((key) => fields[key]), taskId);
  }

  async setStatus(taskId: string, status: TaskStatus, extra: Partial<TaskRecord> = {}): Promise<void> {
    await this.update(taskId, { status, ...extra });
  }

  /** The conversation the model is sent: everything not folded into a summary, in order. */
  async conversation(taskId: string): Promise<ConversationEntry[]> {
    const rows = this.statement(
      'SELECT "seq", "role", "kind", "content" FROM "task_message" ' +
        'WHERE "task_id" = ? AND "compacted" = 0 ORDER BY "seq"',
    ).all(taskId) as Array<{ seq: number; role: 'user' | 'assistant'; kind: MessageKind; content: string }>;
    return rows.map((row) => ({
      seq: row.seq,
      kind: row.kind,
      message: { role: row.role, content: JSON.parse(row.content) as ContentBlock[] },
    }));
  }

  async appendMessage(
    taskId: string,
    role: 'user' | 'assistant',
    kind: MessageKind,
    content: readonly ContentBlock[],
  ): Promise<number> {
    return this.insertMessage(taskId, role, kind, content, now());
  }

  private insertMessage(
    taskId: string,
    role: 'user' | 'assistant',
    kind: MessageKind,
    content: readonly ContentBlock[],
    at: string,
  ): number {
    const result = this.statement(
      'INSERT INTO "task_message" ("task_id", "role", "kind", "content", "compacted", "created_at") ' +
        'VALUES (?, ?, ?, ?, 0, ?)',
    ).run(taskId, role, kind, JSON.stringify(content), at);
    return Number(result.lastInsertRowid);
  }

  /**
   * An assistant turn and its tool calls, recorded together before any of the calls runs: after a
   * restart, a turn is never found without its calls.
   */
  async appendTurn(
    taskId: string,
    content: readonly ContentBlock[],
    calls: ReadonlyArray<{ id: string; name: string; input: unknown }>,
    counters: Pick<TaskRecord, 'turns' | 'usage'>,
  ): Promise<number> {
    return this.sqlite.transaction(() => {
      const seq = this.insertMessage(taskId, 'assistant', 'assistant', content, now());
      this.insertCallRows(taskId, seq, calls);
      this.updateNow(taskId, counters);
      return seq;
    })();
  }

  /** The person's messages sent while the task worked, taken (and cleared) at once. */
  async takePending(taskId: string): Promise<string[]> {
    return this.sqlite.transaction(() => {
      const row = this.statement('SELECT "pending" FROM "task" WHERE "id" = ?').get(taskId) as
        { pending: string } | undefined;
      if (row === undefined) throw new StewardError('NOT_FOUND', `there is no task ${taskId}`);
      const pending = JSON.parse(row.pending) as string[];
      if (pending.length > 0) this.updateNow(taskId, { pending: '[]' });
      return pending;
    })();
  }

  /** Folds messages up to `lastSeq` into a summary that takes their place in the conversation. */
  async compact(taskId: string, lastSeq: number, summary: ContentBlock[]): Promise<number> {
    return this.sqlite.transaction(() => {
      this.statement('UPDATE "task_message" SET "compacted" = 1 WHERE "task_id" = ? AND "seq" <= ?').run(
        taskId,
        lastSeq,
      );
      return this.insertMessage(taskId, 'user', 'summary', summary, now());
    })();
  }

  /** Records the tool calls of an assistant message before any of them runs. */
  async insertCalls(
    taskId: string,
    messageSeq: number,
    calls: ReadonlyArray<{ id: string; name: string; input: unknown }>,
  ): Promise<void> {
    this.sqlite.transaction(() => this.insertCallRows(taskId, messageSeq, calls))();
  }

  private insertCallRows(
    taskId: string,
    messageSeq: number,
    calls: ReadonlyArray<{ id: string; name: string; input: unknown }>,
  ): void {
    const insert = this.statement(
      'INSERT OR IGNORE INTO "tool_call" ("task_id", "id", "message_seq", "position", "tool", "input", ' +
        `"status", "is_error", "summary") VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, '')`,
    );
    calls.forEach((call, position) =>
      insert.run(taskId, call.id, messageSeq, position, call.name, JSON.stringify(call.input ?? null)),
    );
  }

  async callsOf(taskId: string, messageSeq?: number): Promise<ToolCallRecord[]> {
    const select = `SELECT ${selectList(CALL_COLUMNS)} FROM "tool_call" WHERE "task_id" = ?`;
    return (
      messageSeq === undefined
        ? this.statement(`${select} ORDER BY "message_seq", "position"`).all(taskId)
        : this.statement(`${select} AND "message_seq" = ? ORDER BY "position"`).all(taskId, messageSeq)
    ) as ToolCallRecord[];
  }

  async updateCall(taskId: string, id: string, changes: Partial<ToolCallRecord>): Promise<void> {
    const keys = (Object.keys(changes) as Array<keyof ToolCallRecord>).filter(
      (key) => key !== 'taskId' && key !== 'id' && changes[key] !== undefined,
    );
    if (keys.length === 0) return;
    const sql =
      `UPDATE "tool_call" SET ${keys.map((key) => `"${CALL_COLUMNS[key]}" = ?`).join(', ')} ` +
      'WHERE "task_id" = ? AND "id" = ?';
    this.statement(sql).run(...keys.map((key) => changes[key]), taskId, id);
  }

  async setCallStatus(taskId: string, id: string, status: ToolCallStatus): Promise<void> {
    await this.updateCall(taskId, id, status === 'running' ? { status, startedAt: now() } : { status });
  }

  async approval(approvalId: string): Promise<ApprovalRecord | null> {
    return this.approvals.findOneBy({ id: approvalId });
  }

  async pendingApprovals(): Promise<ApprovalRecord[]> {
    return this.approvals.find({ where: { status: 'pending' }, order: { createdAt: 'ASC' } });
  }

  /** Tasks the orchestrator was working on when it stopped. */
  async unfinished(): Promise<TaskRecord[]> {
    return this.tasks.find({
      where: { status: In(['queued', 'running', 'waiting_approval']) },
      order: { createdAt: 'ASC' },
    });
  }

  async list(filter: {
    status?: TaskStatus | undefined;
    parentId?: string | undefined;
    projectId?: string | undefined;
    limit?: number | undefined;
    before?: string | undefined;
  }): Promise<TaskSummary[]> {
    const query = this.tasks
      .createQueryBuilder('task')
      .orderBy('task.created_at', 'DESC')
      .addOrderBy('task.id', 'DESC');
    if (filter.status !== undefined) query.andWhere('task.status = :status', { status: filter.status });
    if (filter.parentId !== undefined)
      query.andWhere('task.parent_id = :parentId', { parentId: filter.parentId });
    else query.andWhere('task.parent_id IS NULL');
    if (filter.projectId !== undefined)
      query.andWhere('task.project_id = :projectId', { projectId: filter.projectId });
    if (filter.before !== undefined) {
      const before = await this.tasks.findOneBy({ id: filter.before });
      if (before !== null) query.andWhere('task.created_at < :at', { at: before.createdAt });
    }
    const rows = await query.limit(filter.limit ?? 50).getMany();
    const pending = await this.pendingApprovalCounts(rows.map((row) => row.id));
    return rows.map((row) => ({ ...summaryOf(row), pendingApprovals: pending.get(row.id) ?? 0 }));
  }

  /** Pending approvals per listed task, its sub-tasks' counted with its own (what the page's list shows). */
  private async pendingApprovalCounts(taskIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (taskIds.length === 0) return counts;
    const rows = await this.approvals
      .createQueryBuilder('approval')
      .innerJoin(TaskRecord, 'task', 'task.id = approval.task_id')
      .select('task.id', 'taskId')
      .addSelect('task.parent_id', 'parentId')
      .addSelect('COUNT(*)', 'count')
      .where('approval.status = :status', { status: 'pending' })
      .andWhere('(task.id IN (:...ids) OR task.parent_id IN (:...ids))', { ids: [...taskIds] })
      .groupBy('task.id')
      .getRawMany<{ taskId: string; parentId: string | null; count: number | string }>();
    for (const row of rows) {
      for (const owner of [row.taskId, row.parentId]) {
        if (owner !== null && taskIds.includes(owner))
          counts.set(owner, (counts.get(owner) ?? 0) + Number(row.count));
      }
    }
    return counts;
  }

  /** The tasks that ended badly, newest first, for the admin view's recent errors. */
  async failures(limit: number): Promise<TaskFailure[]> {
    const rows = await this.tasks.find({
      where: { status: In(['failed', 'interrupted']) },
      order: { updatedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
    return rows.map((task) => ({
      taskId: task.id,
      ...(task.parentId === null ? {} : { parentId: task.parentId }),
      status: task.status === 'interrupted' ? 'interrupted' : 'failed',
      prompt: task.prompt.slice(0, TASK_FAILURE_LIMITS.prompt),
      error: task.error ?? 'no reason was recorded',
      model: task.model,
      at: task.updatedAt,
    }));
  }

  async view(taskId: string): Promise<TaskView> {
    const task = await this.task(taskId);
    const [messages, calls, approvals, children] = await Promise.all([
      this.messages.find({ where: { taskId }, order: { seq: 'ASC' } }),
      this.callsOf(taskId),
      this.approvals.find({ where: { taskId }, order: { createdAt: 'ASC' } }),
      this.tasks.find({ where: { parentId: taskId }, order: { createdAt: 'ASC' } }),
    ]);
    const transcript: TaskView['messages'] = [];
    for (const row of messages) {
      if (row.kind === 'tool_results' || row.kind === 'summary') continue;
      const text = textOf(JSON.parse(row.content) as ContentBlock[]);
      if (text.trim() !== '') transcript.push({ role: row.role, text });
    }
    return {
      ...summaryOf(task),
      children: children.map((child) => child.id),
      todos: JSON.parse(task.todos) as Todo[],
      approvals: approvals.map(approvalView),
      toolCalls: calls.map(callView),
      messages: transcript,
      scratchpad: task.scratchpad,
      filesChanged: JSON.parse(task.filesChanged) as string[],
      usage: JSON.parse(task.usage) as TaskUsage,
      ...(task.answer === null ? {} : { answer: task.answer }),
      ...(task.error === null ? {} : { error: task.error }),
    };
  }
}

export function summaryOf(task: TaskRecord): TaskSummary {
  const todos = JSON.parse(task.todos) as Todo[];
  return {
    id: task.id,
    status: task.status,
    prompt: task.prompt,
    folders: JSON.parse(task.folders) as string[],
    ...(task.parentId === null ? {} : { parentId: task.parentId }),
    ...(task.projectId === null ? {} : { projectId: task.projectId }),
    model: task.model,
    approvalMode: task.approvalMode,
    progress: { done: todos.filter((todo) => todo.status === 'completed').length, total: todos.length },
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export function approvalView(record: ApprovalRecord): ApprovalView {
  return {
    id: record.id,
    toolCallId: record.toolCallId,
    tool: record.tool,
    input: JSON.parse(record.input) as unknown,
    summary: record.summary,
    ...(record.targets === null ? {} : { targets: JSON.parse(record.targets) as string[] }),
    status: record.status,
    ...(record.decidedBy === null ? {} : { decidedBy: record.decidedBy }),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    ...(record.decidedAt === null ? {} : { decidedAt: record.decidedAt }),
  };
}

export function callView(record: ToolCallRecord): ToolCallView {
  return {
    id: record.id,
    tool: record.tool,
    input: JSON.parse(record.input) as unknown,
    status: record.status,
    isError: record.isError === 1,
    resultSummary: record.summary,
    ...(record.decision === null ? {} : { decision: record.decision as ToolCallView['decision'] }),
    ...(record.decisionSource === null
      ? {}
      : { decisionSource: record.decisionSource as ToolCallView['decisionSource'] }),
    ...(record.startedAt === null ? {} : { startedAt: record.startedAt }),
    ...(record.finishedAt === null ? {} : { finishedAt: record.finishedAt }),
  };
}
