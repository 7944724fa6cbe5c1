import { randomBytes } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  FINAL_TASK_STATUSES,
  fsTaskClose,
  fsTaskOpen,
  StewardError,
  vmExecCancel,
  vmSandboxClose,
  vmSandboxOpen,
  type ApprovalView,
  type TaskCreateInput,
  type TaskStatus,
  type TaskSummary,
  type TaskView,
} from '@steward/contracts';
import { policyValue, PolicyStore, type ModelKeyStore, type ModelSettings } from '@steward/config';
import { BusClient } from '@steward/messaging';
import { TaskRunner, type ApprovalAnswer, type Budget, type ChildRequest } from '../agent/task-runner.js';
import { TaskEvents } from '../events/task-events.js';
import type { ModelRouter } from '../model/model-router.js';
import { ProjectStore } from '../projects/project-store.js';
import { emptyUsage } from '../model/pricing.js';
import type { TaskRecord } from '../store/task.entities.js';
import { approvalView, TaskStore } from '../store/task-store.js';
import { ToolExecutor } from '../tools/tool-executor.js';
import { MODEL_KEYS, MODEL_ROUTER, MODEL_SETTINGS } from './tokens.js';

/** A sub-agent's share of its parent's budget. */
const CHILD_BUDGET_SHARE = 0.25;

/**
 * Tasks from request to end: creates them, runs each in its own {@link TaskRunner}, answers the
 * page's questions about them, and picks up the ones a previous orchestrator left unfinished.
 */
@Injectable()
export class TaskService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('tasks');
  private readonly runners = new Map<string, TaskRunner>();
  private closing = false;

  constructor(
    @Inject(TaskStore) private readonly store: TaskStore,
    @Inject(TaskEvents) private readonly events: TaskEvents,
    @Inject(ToolExecutor) private readonly tools: ToolExecutor,
    @Inject(BusClient) private readonly bus: BusClient,
    @Inject(PolicyStore) private readonly policy: PolicyStore,
    @Inject(MODEL_ROUTER) private readonly models: ModelRouter,
    @Inject(MODEL_SETTINGS) private readonly settings: ModelSettings,
    @Inject(MODEL_KEYS) private readonly keys: ModelKeyStore,
    @Inject(ProjectStore) private readonly projects: ProjectStore,
  ) {}

  /** Tasks the last orchestrator was running continue (or end `interrupted`); none is dropped. */
  onApplicationBootstrap(): void {
    void this.resumeUnfinished().catch((error: unknown) =>
      this.log.error(`resuming unfinished tasks failed: ${String(error)}`),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const runner of this.runners.values()) runner.suspend();
    await Promise.all([...this.runners.values()].map((runner) => runner.finished));
  }

  private async resumeUnfinished(): Promise<void> {
    for (const task of await this.store.unfinished()) {
      // Children are run by their parent's spawn_subagents call, which resumes with the parent.
      if (task.parentId !== null) continue;
      this.log.log(`resuming task ${task.id} (${task.status})`);
      this.start(task.id, true);
    }
  }

  async create(
    input: TaskCreateInput,
    parent?: { task: TaskRecord; description: string; budget: Budget },
  ): Promise<{
    id: string;
    status: TaskStatus;
  }> {
    const policy = this.policy.current;
    const mode =
      parent?.task.approvalMode ?? input.approvalMode ?? policyValue(policy, 'approvals.defaultMode');
    if (mode === 'auto' && !policyValue(policy, 'approvals.allowAuto')) {
      throw new StewardError('DENIED_BY_POLICY', 'your organization does not allow tasks in auto mode');
    }
    const model = this.models.normalize(
      input.model ?? parent?.task.model ?? policyValue(policy, 'models.defaultModel'),
    );
    // Claude models call tools; what an OpenAI-compatible endpoint serves may not.
    if (!model.startsWith('anthropic:') && parent === undefined) {
      const check = await this.models.checkTools(model);
      if (!check.toolUse) {
        throw new StewardError('INVALID_INPUT', `${model} cannot be used for tasks: ${check.detail}`);
      }
    }
    // Sub-agents work in their parent's project, under its instructions.
    const projectId = parent === undefined ? (input.projectId ?? null) : parent.task.projectId;
    if (parent === undefined && projectId !== null) await this.projects.require(projectId);
    const id = `t_${randomBytes(12).toString('base64url')}`;
    const now = new Date().toISOString();
    const record: TaskRecord = {
      id,
      parentId: parent?.task.id ?? null,
      projectId,
      status: 'queued',
      prompt: input.prompt,
      folders: JSON.stringify(input.folders),
      model,
      approvalMode: mode,
      todos: '[]',
      scratchpad: '',
      filesChanged: '[]',
      usage: JSON.stringify(emptyUsage()),
      rules: parent?.task.rules ?? '[]',
      pending: '[]',
      childOf:
        parent === undefined
          ? null
          : JSON.stringify({ description: parent.description, budget: parent.budget }),
      turns: 0,
      resumes: 0,
      answer: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    // Folders are checked by the service that owns them before the task exists: a bad folder is
    // the caller's error now, not a failed task later.
    await this.bus.request(fsTaskOpen, { taskId: id, folders: input.folders });
    await this.store.insertTask(record, [{ type: 'text', text: input.prompt }]);
    this.events.emit(id, 'created', {
      prompt: input.prompt,
      folders: input.folders,
      model,
      approvalMode: mode,
      ...(parent === undefined ? {} : { parentId: parent.task.id }),
      ...(projectId === null ? {} : { projectId }),
    });
    if (parent === undefined) this.start(id, false);
    return { id, status: 'queued' };
  }

  private start(taskId: string, resumed: boolean): TaskRunner {
    const runner = new TaskRunner(taskId, {
      store: this.store,
      events: this.events,
      tools: this.tools,
      models: this.models,
      policy: this.policy,
      bus: this.bus,
      approvalTimeoutMs: this.settings.approvalTimeoutMs,
      instructions: (task) => this.projects.instructions(task.projectId),
      runChildren: (parent, children, signal) => this.runChildren(parent, children, signal),
      openServices: (task) => this.openServices(task),
      closeServices: (task) => this.closeServices(task),
    });
    this.runners.set(taskId, runner);
    void runner.run({ resumed }).finally(() => {
      if (this.runners.get(taskId) === runner) this.runners.delete(taskId);
    });
    return runner;
  }

  private async openServices(task: TaskRecord): Promise<void> {
    const folders = JSON.parse(task.folders) as string[];
    await this.bus.request(fsTaskOpen, { taskId: task.id, folders });
    // The sandbox starts (or takes the warm spare) while the model thinks about its first turn.
    void this.bus.request(vmSandboxOpen, { taskId: task.id, folders }).catch((error: unknown) => {
      this.log.warn(`task ${task.id}: no sandbox yet (${String(error)}); run_command will say why`);
    });
  }

  private async closeServices(task: TaskRecord): Promise<void> {
    if (this.closing) return;
    await Promise.allSettled([
      this.bus.request(vmSandboxClose, { taskId: task.id }),
      this.bus.request(fsTaskClose, { taskId: task.id }),
    ]);
  }

  /**
   * spawn_subagents: child tasks in the parent's folders with its approval mode and rules, each
   * with a share of the budget, run at most `agents.maxSubagentConcurrency` at a time. A child
   * that exists already (the parent resumed after a restart) is resumed or reused, not made again.
   */
  private async runChildren(
    parent: TaskRecord,
    children: readonly ChildRequest[],
    signal: AbortSignal,
  ): Promise<Array<{ taskId: string; status: TaskStatus; answer: string }>> {
    const limit = policyValue(this.policy.current, 'agents.maxSubagentConcurrency');
    const existing = await this.store.tasks.find({
      where: { parentId: parent.id },
      order: { createdAt: 'ASC' },
    });
    const parentBudget = {
      maxTurns: policyValue(this.policy.current, 'budget.maxTurns'),
      maxCostUsd: policyValue(this.policy.current, 'budget.maxCostUsd'),
    };
    const ids: string[] = [];
    for (const [index, child] of children.entries()) {
      const found = existing.find(
        (task) =>
          (JSON.parse(task.childOf ?? '{}') as { description?: string }).description === child.description &&
          !ids.includes(task.id),
      );
      if (found !== undefined) {
        ids.push(found.id);
        continue;
      }
      const created = await this.create(
        { prompt: child.prompt, folders: JSON.parse(parent.folders) as string[] },
        {
          task: parent,
          description: child.description || `part ${index + 1}`,
          budget: {
            maxTurns: Math.max(1, Math.floor(parentBudget.maxTurns * CHILD_BUDGET_SHARE)),
            maxCostUsd: parentBudget.maxCostUsd * CHILD_BUDGET_SHARE,
            maxTokens: 1_000_000,
          },
        },
      );
      ids.push(created.id);
      this.events.emit(parent.id, 'child', { childId: created.id, description: child.description });
    }
    const results = new Array<{ taskId: string; status: TaskStatus; answer: string }>(ids.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const index = next++;
        const childId = ids[index]!;
        results[index] = await this.runChild(childId, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, ids.length) }, worker));
    return results;
  }

  private async runChild(
    childId: string,
    signal: AbortSignal,
  ): Promise<{ taskId: string; status: TaskStatus; answer: string }> {
    let child = await this.store.task(childId);
    if (!FINAL_TASK_STATUSES.includes(child.status)) {
      const runner = this.runners.get(childId) ?? this.start(childId, child.status !== 'queued');
      const onAbort = (): void => runner.cancel('the parent task was cancelled');
      signal.addEventListener('abort', onAbort, { once: true });
      await runner.finished;
      signal.removeEventListener('abort', onAbort);
      child = await this.store.task(childId);
    }
    return {
      taskId: childId,
      status: child.status,
      answer: child.answer ?? child.error ?? `the sub-agent ended ${child.status}`,
    };
  }

  list(filter: {
    status?: TaskStatus;
    parentId?: string;
    projectId?: string;
    limit?: number;
    before?: string;
  }): Promise<TaskSummary[]> {
    return this.store.list(filter);
  }

  view(taskId: string): Promise<TaskView> {
    return this.store.view(taskId);
  }

  /** Steering: queued for the model's next turn; a finished task continues with it. */
  async message(taskId: string, text: string): Promise<TaskStatus> {
    const task = await this.store.task(taskId);
    if (task.status === 'cancelled') throw new StewardError('CONFLICT', `task ${taskId} was cancelled`);
    if (FINAL_TASK_STATUSES.includes(task.status)) {
      await this.store.appendMessage(taskId, 'user', 'steer', [{ type: 'text', text }]);
      await this.store.setStatus(taskId, 'queued', { answer: null, error: null });
      this.events.emit(taskId, 'message', { role: 'user', text });
      if (task.parentId === null) this.start(taskId, false);
      return 'queued';
    }
    const pending = JSON.parse(task.pending) as string[];
    await this.store.update(taskId, { pending: JSON.stringify([...pending, text]) });
    this.events.emit(taskId, 'message', { role: 'user', text, pending: true });
    return task.status;
  }

  /** The person's answer to one approval; bound to that approval's exact call. */
  async approve(
    taskId: string,
    approvalId: string,
    decision: 'allow' | 'deny',
    remember: boolean,
  ): Promise<ApprovalView> {
    const approval = await this.store.approval(approvalId);
    if (approval === null || approval.taskId !== taskId) {
      throw new StewardError('NOT_FOUND', `task ${taskId} has no approval ${approvalId}`);
    }
    if (approval.status !== 'pending') {
      throw new StewardError('CONFLICT', `approval ${approvalId} was already answered (${approval.status})`);
    }
    if (Date.parse(approval.expiresAt) <= Date.now()) {
      throw new StewardError('CONFLICT', `approval ${approvalId} expired at ${approval.expiresAt}`);
    }
    const status = decision === 'allow' ? 'allowed' : 'denied';
    const decidedAt = new Date().toISOString();
    const result = await this.store.approvals.update(
      { id: approvalId, status: 'pending' },
      { status, decidedBy: 'person', decidedAt, remember: remember && decision === 'allow' ? 1 : 0 },
    );
    if ((result.affected ?? 0) === 0) {
      throw new StewardError('CONFLICT', `approval ${approvalId} was answered at the same moment`);
    }
    const answered = await this.store.approval(approvalId);
    if (answered === null) throw new StewardError('INTERNAL', 'the approval vanished');
    this.events.emit(taskId, 'approval', { id: approvalId, status, decidedBy: 'person', remember });
    this.runners.get(taskId)?.answered(approvalId, status as ApprovalAnswer);
    return approvalView(answered);
  }

  async cancel(taskId: string): Promise<TaskStatus> {
    const task = await this.store.task(taskId);
    if (FINAL_TASK_STATUSES.includes(task.status)) return task.status;
    const runner = this.runners.get(taskId);
    // The sandbox command first, so a long run stops now rather than at its timeout.
    await this.bus.request(vmExecCancel, { taskId }).catch(() => undefined);
    const children = await this.store.tasks.find({ where: { parentId: taskId } });
    for (const child of children)
      if (!FINAL_TASK_STATUSES.includes(child.status)) await this.cancel(child.id);
    if (runner === undefined) {
      await this.store.setStatus(taskId, 'cancelled', { error: 'cancelled by the person' });
      this.events.emit(taskId, 'status', { status: 'cancelled', error: 'cancelled by the person' });
      return 'cancelled';
    }
    runner.cancel('cancelled by the person');
    await runner.finished;
    return (await this.store.task(taskId)).status;
  }

  checkModel(model: string): Promise<{ model: string; toolUse: boolean; detail: string }> {
    return this.models.checkTools(model);
  }

  saveKey(apiKey: string): void {
    this.keys.saveAnthropic(apiKey);
    this.log.log('an Anthropic API key was saved from the page');
  }

  keyStatus(): { anthropic: { configured: boolean; source: 'env' | 'saved' | 'none' } } {
    const { key, source } = this.keys.anthropic();
    return { anthropic: { configured: key !== undefined, source } };
  }
}
