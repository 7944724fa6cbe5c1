import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from '@steward/runtime';
import {
  StewardError,
  type ApprovalView,
  type TaskStatus,
  type TaskSummary,
  type TaskUsage,
  type TaskView,
  type ToolCallView,
} from '@steward/contracts';
import { In, LessThan, type DataSource, type Repository } from 'typeorm';
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

  constructor(@Inject(DATABASE) private readonly database: DataSource) {
    this.tasks = database.getRepository(TaskRecord);
    this.messages = database.getRepository(TaskMessageRecord);
    this.calls = database.getRepository(ToolCallRecord);
    this.approvals = database.getRepository(ApprovalRecord);
  }

  async insertTask(record: TaskRecord, prompt: ContentBlock[]): Promise<void> {
    await this.database.transaction(async (manager) => {
      await manager.insert(TaskRecord, record);
      await manager.insert(TaskMessageRecord, {
        taskId: record.id,
        role: 'user',
        kind: 'prompt',
        content: JSON.stringify(prompt),
        compacted: 0,
        createdAt: record.createdAt,
      });
    });
  }

  async task(taskId: string): Promise<TaskRecord> {
    const record = await this.tasks.findOneBy({ id: taskId });
    if (record === null) throw new StewardError('NOT_FOUND', `there is no task ${taskId}`);
    return record;
  }

  async update(taskId: string, changes: Partial<TaskRecord>): Promise<void> {
    await this.tasks.update({ id: taskId }, { ...changes, updatedAt: now() });
  }

  async setStatus(taskId: string, status: TaskStatus, extra: Partial<TaskRecord> = {}): Promise<void> {
    await this.update(taskId, { status, ...extra });
  }

  /** The conversation the model is sent: everything not folded into a summary, in order. */
  async conversation(
    taskId: string,
  ): Promise<Array<{ seq: number; kind: MessageKind; message: ChatMessage }>> {
    const rows = await this.messages.find({ where: { taskId, compacted: 0 }, order: { seq: 'ASC' } });
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
    const result = await this.messages.insert({
      taskId,
      role,
      kind,
      content: JSON.stringify(content),
      compacted: 0,
      createdAt: now(),
    });
    return Number((result.identifiers[0] as { seq: number }).seq);
  }

  /** Folds messages up to `lastSeq` into a summary that takes their place in the conversation. */
  async compact(taskId: string, lastSeq: number, summary: ContentBlock[]): Promise<void> {
    await this.database.transaction(async (manager) => {
      await manager.update(TaskMessageRecord, { taskId, seq: LessThan(lastSeq + 1) }, { compacted: 1 });
      await manager.insert(TaskMessageRecord, {
        taskId,
        role: 'user',
        kind: 'summary',
        content: JSON.stringify(summary),
        compacted: 0,
        createdAt: now(),
      });
    });
  }

  /** Records the tool calls of an assistant message before any of them runs. */
  async insertCalls(
    taskId: string,
    messageSeq: number,
    calls: ReadonlyArray<{ id: string; name: string; input: unknown }>,
  ): Promise<void> {
    if (calls.length === 0) return;
    await this.calls.insert(
      calls.map((call, position) => ({
        taskId,
        id: call.id,
        messageSeq,
        position,
        tool: call.name,
        input: JSON.stringify(call.input ?? null),
        status: 'pending' as const,
        decision: null,
        decisionSource: null,
        resultText: null,
        fullResult: null,
        isError: 0,
        summary: '',
        startedAt: null,
        finishedAt: null,
      })),
    );
  }

  async callsOf(taskId: string, messageSeq?: number): Promise<ToolCallRecord[]> {
    return this.calls.find({
      where: messageSeq === undefined ? { taskId } : { taskId, messageSeq },
      order: { messageSeq: 'ASC', position: 'ASC' },
    });
  }

  async updateCall(taskId: string, id: string, changes: Partial<ToolCallRecord>): Promise<void> {
    await this.calls.update({ taskId, id }, changes);
  }

  async setCallStatus(taskId: string, id: string, status: ToolCallStatus): Promise<void> {
    await this.calls.update({ taskId, id }, status === 'running' ? { status, startedAt: now() } : { status });
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
    if (filter.before !== undefined) {
      const before = await this.tasks.findOneBy({ id: filter.before });
      if (before !== null) query.andWhere('task.created_at < :at', { at: before.createdAt });
    }
    const rows = await query.limit(filter.limit ?? 50).getMany();
    return rows.map(summaryOf);
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
      ...(task.projectId === null ? {} : { projectId: task.projectId }),
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
