import { createHash, randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  fsDeletePreview,
  StewardError,
  TOOL_LIMITS,
  type DeletePreview,
  type TaskStatus,
  type TaskUsage,
} from '@steward/contracts';
import { policyValue, type PolicyStore } from '@steward/config';
import type { BusClient } from '@steward/messaging';
import { judge, ruleFor, type CallToJudge, type Verdict } from '../approvals/approval-chain.js';
import type { TaskEvents } from '../events/task-events.js';
import {
  isToolUse,
  textOf,
  type ChatMessage,
  type ContentBlock,
  type ModelReply,
  type ToolResultBlock,
  type ToolSpec,
  type ToolUseBlock,
} from '../model/model-types.js';
import type { ModelRouter } from '../model/model-router.js';
import { addUsage, costOf } from '../model/pricing.js';
import {
  chatSpan,
  executeToolSpan,
  invokeAgentSpan,
  recordCost,
  recordDecision,
  recordStop,
  recordTaskEnd,
} from '../telemetry/agent-telemetry.js';
import type { ApprovalRecord, TaskRecord, ToolCallRecord } from '../store/task.entities.js';
import type { ConversationEntry, TaskRule, TaskStore, Todo } from '../store/task-store.js';
import type { MessageKind } from '../store/task.entities.js';
import {
  elideOversized,
  INTERNAL_TOOLS,
  type ToolExecutor,
  type ToolOutcome,
} from '../tools/tool-executor.js';
import { asData, systemPrompt } from './system-prompt.js';

/** The same call (tool and arguments) this many times in a row stops the task. */
export const REPEATED_CALL_LIMIT = 4;
/** Tokens a task may use in all unless its budget says otherwise. */
export const DEFAULT_TOKEN_BUDGET = 5_000_000;
/** Output tokens one model turn may produce. */
const MAX_OUTPUT_TOKENS = 8_192;
/** Share of the context window after which older turns are folded into a summary. */
const COMPACT_AT = 0.8;
const DEFAULT_CONTEXT_WINDOW = 200_000;
/** How many times a task is picked up after restarts before it ends `interrupted`. */
const MAX_RESUMES = 3;

export type ApprovalAnswer = 'allowed' | 'denied' | 'expired' | 'cancelled';

export interface Budget {
  readonly maxTurns: number;
  readonly maxCostUsd: number;
  readonly maxTokens: number;
}

export interface ChildRequest {
  readonly description: string;
  readonly prompt: string;
}

export interface RunnerDeps {
  readonly store: TaskStore;
  readonly events: TaskEvents;
  readonly tools: ToolExecutor;
  readonly models: ModelRouter;
  readonly policy: PolicyStore;
  readonly bus: BusClient;
  readonly approvalTimeoutMs: number;
  /** The standing instructions of the task's project, if it has a project and they say something. */
  readonly instructions: (task: TaskRecord) => Promise<string | undefined>;
  /** Runs sub-agents for `spawn_subagents`, in parallel as policy allows, answering each one's result. */
  readonly runChildren: (
    parent: TaskRecord,
    children: readonly ChildRequest[],
    signal: AbortSignal,
  ) => Promise<Array<{ taskId: string; status: TaskStatus; answer: string }>>;
  /** Opens the task's folders and sandbox with their services; closes them at the end. */
  readonly openServices: (task: TaskRecord) => Promise<void>;
  readonly closeServices: (task: TaskRecord) => Promise<void>;
}

class TaskStopped extends Error {
  constructor(
    readonly status: 'failed' | 'cancelled' | 'interrupted',
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * One task's agent loop. Everything it does is persisted before it matters (the assistant turn
 * before its tool calls run, each call's start before it is sent, each result as it comes), so it
 * can start again from the database at any point: a call that was sent but never answered is
 * reported to the model as of unknown outcome, never silently sent again.
 */
export class TaskRunner {
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly waiting = new Map<string, (answer: ApprovalAnswer) => void>();
  private readonly nonce: string;
  private recentCalls: string[] = [];
  private stopReason: TaskStopped | undefined;
  private done: Promise<void> | undefined;

  constructor(
    readonly taskId: string,
    private readonly deps: RunnerDeps,
  ) {
    this.log = new Logger(`task ${taskId}`);
    this.nonce = createHash('sha256').update(`steward-data:${taskId}`).digest('hex').slice(0, 16);
  }

  /** Runs the loop to the end; never rejects (the outcome is in the task's record). */
  run(options: { resumed: boolean }): Promise<void> {
    this.done ??= this.loop(options.resumed).catch((error: unknown) => {
      this.log.error(`the task loop failed: ${String(error)}`);
    });
    return this.done;
  }

  get finished(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  /** Cancels the task: the model stops, running calls are cancelled, pending approvals end. */
  cancel(reason: string): void {
    this.stopReason ??= new TaskStopped('cancelled', reason);
    for (const resolve of this.waiting.values()) resolve('cancelled');
    this.abort.abort();
  }

  /** The orchestrator is stopping: the task is picked up again by the next one. */
  suspend(): void {
    this.stopReason ??= new TaskStopped('interrupted', 'the orchestrator stopped');
    for (const resolve of this.waiting.values()) resolve('cancelled');
    this.abort.abort();
  }

  /** The person answered (the record is already updated). */
  answered(approvalId: string, answer: ApprovalAnswer): void {
    this.waiting.get(approvalId)?.(answer);
  }

  private readonly startedAt = performance.now();
  private system = '';

  private async loop(resumed: boolean): Promise<void> {
    const task = await this.deps.store.task(this.taskId);
    await invokeAgentSpan(task, () => this.steps(resumed, task));
  }

  private async steps(resumed: boolean, first: TaskRecord): Promise<void> {
    let task = first;
    if (resumed) {
      if (task.resumes >= MAX_RESUMES) {
        await this.finish('interrupted', {
          error:
            `the orchestrator stopped under this task ${task.resumes + 1} times; it was not picked up again. ` +
            (await this.account()),
        });
        return;
      }
      await this.deps.store.update(this.taskId, { resumes: task.resumes + 1 });
      this.deps.events.emit(this.taskId, 'notice', {
        text: 'Steward restarted; the task continues from its last saved step',
      });
    }
    try {
      await this.deps.openServices(task);
      // Stable for the whole run, so the prompt's cached prefix stays the same from turn to turn.
      this.system = systemPrompt({
        folders: JSON.parse(task.folders) as string[],
        nonce: this.nonce,
        subagent: task.parentId !== null,
        instructions: await this.deps.instructions(task),
      });
      await this.setStatus('running');
      // Read once; from here on every message is appended to it as it is written.
      const conversation = await this.deps.store.conversation(this.taskId);
      for (;;) {
        this.checkStopped();
        task = await this.deps.store.task(this.taskId);
        const last = conversation.at(-1);
        if (last === undefined) throw new StewardError('INTERNAL', 'the task has no conversation');
        if (last.message.role === 'assistant') {
          const uses = last.message.content.filter(isToolUse);
          if (uses.length > 0) {
            const results = await this.runCalls(task, last.seq, uses);
            const steering = await this.takePending();
            await this.append(conversation, 'user', 'tool_results', [...results, ...steering]);
            continue;
          }
          const steering = await this.takePending();
          if (steering.length > 0) {
            await this.append(conversation, 'user', 'steer', steering);
            continue;
          }
          await this.finish('completed', { answer: textOf(last.message.content) });
          return;
        }
        if (this.compactNext) {
          await this.compact(task, conversation);
          conversation.splice(0, conversation.length, ...(await this.deps.store.conversation(this.taskId)));
          continue;
        }
        conversation.push(
          await this.modelTurn(
            task,
            conversation.map((entry) => entry.message),
          ),
        );
      }
    } catch (error) {
      const stopped = this.stopReason ?? (error instanceof TaskStopped ? error : undefined);
      if (stopped !== undefined) {
        if (stopped.status === 'interrupted') return;
        await this.markRunningCallsUnknown('the task was cancelled while this call ran');
        await this.finish(stopped.status, { error: stopped.reason });
        return;
      }
      const message = error instanceof StewardError ? `${error.code}: ${error.message}` : String(error);
      await this.finish('failed', { error: message });
    }
  }

  /** What the task did, for a person reading why it ended. */
  private async account(): Promise<string> {
    const calls = await this.deps.store.callsOf(this.taskId);
    const done = calls.filter((call) => call.status === 'done' || call.status === 'unknown');
    if (done.length === 0) return 'It had not run any tool yet.';
    const lines = done.map(
      (call) => `${call.status === 'unknown' ? '(outcome unknown) ' : ''}${call.summary}`,
    );
    return `Done before it stopped: ${lines.join('; ')}.`;
  }

  private checkStopped(): void {
    if (this.stopReason !== undefined) throw this.stopReason;
  }

  private async setStatus(status: TaskStatus): Promise<void> {
    await this.deps.store.setStatus(this.taskId, status);
    this.deps.events.emit(this.taskId, 'status', { status });
  }

  private async finish(
    status: 'completed' | 'failed' | 'cancelled' | 'interrupted',
    outcome: { answer?: string; error?: string },
  ): Promise<void> {
    const task = await this.deps.store.task(this.taskId);
    await this.deps.closeServices(task).catch(() => undefined);
    await this.deps.store.setStatus(this.taskId, status, {
      ...(outcome.answer === undefined ? {} : { answer: outcome.answer }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
    this.deps.events.emit(this.taskId, 'status', { status, ...outcome });
    recordTaskEnd(status, (performance.now() - this.startedAt) / 1000);
  }

  /** Messages the person sent while the model worked, as text blocks of the next user message. */
  private async takePending(): Promise<ContentBlock[]> {
    const pending = await this.deps.store.takePending(this.taskId);
    return pending.map((text) => ({
      type: 'text',
      text: `Message from the person while you worked:\n${text}`,
    }));
  }

  private budget(task: TaskRecord): Budget {
    const policy = this.deps.policy.current;
    const child =
      task.childOf === null ? undefined : (JSON.parse(task.childOf) as { budget?: Partial<Budget> });
    return {
      maxTurns: Math.min(policyValue(policy, 'budget.maxTurns'), child?.budget?.maxTurns ?? Infinity),
      maxCostUsd: Math.min(policyValue(policy, 'budget.maxCostUsd'), child?.budget?.maxCostUsd ?? Infinity),
      maxTokens: child?.budget?.maxTokens ?? DEFAULT_TOKEN_BUDGET,
    };
  }

  private async modelTurn(task: TaskRecord, messages: ChatMessage[]): Promise<ConversationEntry> {
    const usage = JSON.parse(task.usage) as TaskUsage;
    const budget = this.budget(task);
    if (task.turns >= budget.maxTurns) {
      recordStop('budget');
      throw new TaskStopped(
        'failed',
        `stopped: the task reached its limit of ${budget.maxTurns} model turns`,
      );
    }
    if (usage.costUsd >= budget.maxCostUsd) {
      recordStop('budget');
      throw new TaskStopped(
        'failed',
        `stopped: the task reached its cost limit of $${budget.maxCostUsd.toFixed(2)} (spent $${usage.costUsd.toFixed(2)})`,
      );
    }
    if (usage.inputTokens + usage.outputTokens >= budget.maxTokens) {
      recordStop('budget');
      throw new TaskStopped('failed', `stopped: the task reached its limit of ${budget.maxTokens} tokens`);
    }
    const { provider, model } = this.deps.models.resolve(task.model);
    const tools = await this.offeredTools(task);
    let streamed = false;
    const reply: ModelReply = await chatSpan(provider.name, model, MAX_OUTPUT_TOKENS, () =>
      provider.complete({
        model,
        system: this.system,
        tools,
        messages,
        maxTokens: MAX_OUTPUT_TOKENS,
        signal: this.abort.signal,
        onText: (delta) => {
          if (delta === '' && streamed) this.deps.events.emit(this.taskId, 'text', { restart: true });
          if (delta === '') return;
          streamed = true;
          this.deps.events.emit(this.taskId, 'text', { delta });
        },
        onRetry: (notice) =>
          this.deps.events.emit(this.taskId, 'notice', {
            text: `the model API is busy (${notice.reason}); trying again in ${(notice.delayMs / 1000).toFixed(1)} s`,
            retry: notice,
          }),
      }),
    );
    recordCost(task.model, costOf(task.model, reply.usage));
    this.checkStopped();
    const content =
      reply.content.length > 0 ? reply.content.map(elideOversized) : [{ type: 'text', text: '' }];
    const uses = content.filter(isToolUse);
    const total = addUsage(usage, task.model, reply.usage);
    const seq = await this.deps.store.appendTurn(this.taskId, content, uses, {
      turns: task.turns + 1,
      usage: JSON.stringify(total),
    });
    this.deps.events.emit(this.taskId, 'message', {
      role: 'assistant',
      text: textOf(content),
      seq,
      usage: total,
    });
    const contextUsed = reply.usage.inputTokens + reply.usage.cacheReadTokens + reply.usage.cacheWriteTokens;
    if (uses.length > 0 && contextUsed > COMPACT_AT * DEFAULT_CONTEXT_WINDOW) this.compactNext = true;
    return { seq, kind: 'assistant', message: { role: 'assistant', content } };
  }

  private async append(
    conversation: ConversationEntry[],
    role: 'user' | 'assistant',
    kind: MessageKind,
    content: ContentBlock[],
  ): Promise<void> {
    const seq = await this.deps.store.appendMessage(this.taskId, role, kind, content);
    conversation.push({ seq, kind, message: { role, content } });
  }

  /** Set when the last turn came near the context window: the next turn starts from a summary. */
  private compactNext = false;

  private async runCalls(
    task: TaskRecord,
    messageSeq: number,
    uses: ToolUseBlock[],
  ): Promise<ToolResultBlock[]> {
    const records = new Map((await this.deps.store.callsOf(this.taskId, messageSeq)).map((r) => [r.id, r]));
    if (records.size === 0) {
      await this.deps.store.insertCalls(this.taskId, messageSeq, uses);
      for (const record of await this.deps.store.callsOf(this.taskId, messageSeq))
        records.set(record.id, record);
    }
    const results: ToolResultBlock[] = [];
    for (const use of uses) {
      const record = records.get(use.id);
      if (record === undefined) throw new StewardError('INTERNAL', `tool call ${use.id} was not recorded`);
      results.push(await this.settleCall(task, record, use));
    }
    return results;
  }

  private async settleCall(
    task: TaskRecord,
    record: ToolCallRecord,
    use: ToolUseBlock,
  ): Promise<ToolResultBlock> {
    if (record.status === 'done' || record.status === 'denied' || record.status === 'unknown') {
      return this.resultBlock(use, record.resultText ?? '', record.isError === 1);
    }
    if (record.status === 'running') {
      // Sent before the orchestrator stopped, answer never recorded: its effect is unknown.
      const outcome = unknownOutcome(use.name);
      await this.recordOutcome(record, outcome, 'unknown');
      this.deps.events.emit(this.taskId, 'notice', {
        text: `${use.name} was running when Steward stopped; it was not run again`,
        toolCallId: use.id,
      });
      return this.resultBlock(use, outcome.text, true);
    }
    this.checkStopped();
    const outcome = await executeToolSpan({ id: use.id, tool: use.name }, async (span) => {
      const result = await this.execute(task, record, use);
      if (result.isError) span.setAttribute('error.type', result.code ?? 'tool_error');
      return result;
    });
    return this.resultBlock(use, outcome.text, outcome.isError);
  }

  private resultBlock(use: ToolUseBlock, text: string, isError: boolean): ToolResultBlock {
    return {
      type: 'tool_result',
      tool_use_id: use.id,
      content: asData(this.nonce, use.name, text),
      ...(isError ? { is_error: true } : {}),
    };
  }

  /** The tools of the latest model turn: what the model was offered is what its calls are held to. */
  private offered: readonly ToolSpec[] | undefined;

  private async offeredTools(task: TaskRecord): Promise<readonly ToolSpec[]> {
    this.offered = await this.deps.tools.offered({
      subagent: task.parentId !== null,
      taskId: this.taskId,
      signal: this.abort.signal,
    });
    return this.offered;
  }

  private async execute(task: TaskRecord, record: ToolCallRecord, use: ToolUseBlock): Promise<ToolOutcome> {
    const offered = this.offered ?? (await this.offeredTools(task));
    const validation = this.deps.tools.validate(use.name, use.input, offered);
    if (!validation.ok) {
      await this.recordOutcome(record, validation.outcome, 'done');
      return validation.outcome;
    }
    const signature = `${use.name}\0${stableJson(validation.input)}`;
    this.recentCalls = [...this.recentCalls.slice(-(REPEATED_CALL_LIMIT - 1)), signature];
    if (this.recentCalls.length === REPEATED_CALL_LIMIT && this.recentCalls.every((s) => s === signature)) {
      recordStop('repeated_calls');
      throw new TaskStopped(
        'failed',
        `stopped: the model made the same ${use.name} call ${REPEATED_CALL_LIMIT} times in a row`,
      );
    }
    const call: CallToJudge = { tool: use.name, effect: validation.effect, input: validation.input };
    const verdict = this.judge(task, call);
    recordDecision(use.name, verdict.decision, verdict.source);
    const decided = { decision: verdict.decision, decisionSource: verdict.source };
    // A call allowed outright goes straight to `running` (one event, one write); the page sees
    // `pending` only for a call that waits for the person or is refused.
    if (verdict.decision !== 'allow') {
      await this.deps.store.updateCall(this.taskId, record.id, decided);
      this.deps.events.emit(this.taskId, 'tool', {
        id: record.id,
        tool: use.name,
        input: validation.input,
        status: 'pending',
        ...decided,
      });
    }
    if (verdict.decision === 'deny') {
      const outcome = failure('DENIED_BY_POLICY', `${verdict.reason}; this call was not run`);
      await this.recordOutcome(record, outcome, 'denied');
      return outcome;
    }
    if (INTERNAL_TOOLS.has(use.name)) {
      await this.deps.store.updateCall(this.taskId, record.id, decided);
      return this.internal(task, record, use.name, validation.input);
    }
    let deleteApproval: { approvalId: string; digest: string; bulkConfirmed: boolean } | undefined;
    if (verdict.decision === 'ask') {
      const asked = await this.ask(task, record, call, verdict);
      if (asked.answer !== 'allowed') {
        recordDecision(use.name, 'deny', asked.answer === 'expired' ? 'deadline' : 'person');
        const outcome =
          asked.answer === 'expired'
            ? failure('NEEDS_APPROVAL', 'nobody answered the approval in time, so the call was not run')
            : failure('DENIED', 'the person denied this call; it was not run. Do not repeat it unchanged.');
        await this.recordOutcome(record, outcome, 'denied');
        if (asked.answer === 'cancelled') this.checkStopped();
        return outcome;
      }
      deleteApproval = asked.deleteApproval;
      recordDecision(use.name, 'allow', 'person');
      await this.deps.store.updateCall(this.taskId, record.id, { decisionSource: 'person' });
    }
    await this.deps.store.updateCall(this.taskId, record.id, {
      status: 'running',
      startedAt: new Date().toISOString(),
      ...(verdict.decision === 'allow' ? decided : {}),
    });
    this.deps.events.emit(this.taskId, 'tool', {
      id: record.id,
      tool: use.name,
      status: 'running',
      ...(verdict.decision === 'allow' ? { input: validation.input, ...decided } : {}),
    });
    const outcome = await this.deps.tools.forward(use.name, validation.input, {
      taskId: this.taskId,
      toolCallId: record.id,
      signal: this.abort.signal,
      deleteApproval,
      folders: JSON.parse(task.folders) as string[],
    });
    this.checkStopped();
    await this.recordOutcome(record, outcome, 'done');
    if (!outcome.isError && (call.effect === 'write' || call.effect === 'delete')) {
      await this.noteFilesChanged(validation.input);
    }
    return outcome;
  }

  private judge(task: TaskRecord, call: CallToJudge): Verdict {
    const policy = this.deps.policy.current;
    return judge(call, {
      mode: task.approvalMode,
      autoAllowed: policyValue(policy, 'approvals.allowAuto'),
      rules: JSON.parse(task.rules) as TaskRule[],
    });
  }

  private async recordOutcome(
    record: ToolCallRecord,
    outcome: ToolOutcome,
    status: 'done' | 'denied' | 'unknown',
  ): Promise<void> {
    await this.deps.store.updateCall(this.taskId, record.id, {
      status,
      resultText: outcome.text,
      fullResult: outcome.full === outcome.text ? null : outcome.full,
      isError: outcome.isError ? 1 : 0,
      summary: outcome.summary,
      finishedAt: new Date().toISOString(),
    });
    this.deps.events.emit(this.taskId, 'tool', {
      id: record.id,
      tool: record.tool,
      status,
      isError: outcome.isError,
      resultSummary: outcome.summary,
    });
  }

  private async noteFilesChanged(input: Record<string, unknown>): Promise<void> {
    const task = await this.deps.store.task(this.taskId);
    const files = new Set(JSON.parse(task.filesChanged) as string[]);
    for (const field of ['path', 'to']) {
      const value = input[field];
      if (typeof value === 'string') files.add(value);
    }
    const list = [...files];
    await this.deps.store.update(this.taskId, { filesChanged: JSON.stringify(list) });
    this.deps.events.emit(this.taskId, 'files', { filesChanged: list });
  }

  /**
   * Puts one exact call to the person and waits for the answer, the deadline, or the task's end. A
   * delete is shown with what it would remove (fs-service's preview), and the approval carries
   * that preview's digest, so a listing that changed in between asks again.
   */
  private async ask(
    task: TaskRecord,
    record: ToolCallRecord,
    call: CallToJudge,
    verdict: Verdict,
  ): Promise<{
    answer: ApprovalAnswer;
    deleteApproval?: { approvalId: string; digest: string; bulkConfirmed: boolean };
  }> {
    let approval = (await this.deps.store.approvals.findOne({
      where: { taskId: this.taskId, toolCallId: record.id, status: 'pending' },
    })) as ApprovalRecord | null;
    if (approval === null) approval = await this.createApproval(record, call, verdict);
    await this.deps.store.setCallStatus(this.taskId, record.id, 'waiting_approval');
    await this.setStatus('waiting_approval');
    const answer = await this.waitFor(approval);
    if (this.stopReason === undefined) await this.setStatus('running');
    if (answer !== 'allowed') return { answer };
    const decided = await this.deps.store.approval(approval.id);
    if (decided?.remember === 1) await this.addRule(call);
    if (call.effect === 'delete' && approval.previewDigest !== null) {
      return {
        answer,
        deleteApproval: {
          approvalId: approval.id,
          digest: approval.previewDigest,
          bulkConfirmed: approval.bulk === 1,
        },
      };
    }
    return { answer };
  }

  private async createApproval(
    record: ToolCallRecord,
    call: CallToJudge,
    verdict: Verdict,
  ): Promise<ApprovalRecord> {
    let preview: DeletePreview | undefined;
    if (call.effect === 'delete') {
      preview = await this.deps.bus.request(
        fsDeletePreview,
        { ...(call.input as { path: string }), taskId: this.taskId },
        { signal: this.abort.signal },
      );
    }
    const created = new Date();
    const approval: ApprovalRecord = {
      id: `ap_${randomBytes(9).toString('base64url')}`,
      taskId: this.taskId,
      toolCallId: record.id,
      tool: call.tool,
      input: JSON.stringify(call.input),
      binding: createHash('sha256')
        .update(`${call.tool}\0${stableJson(call.input)}\0${preview?.digest ?? ''}`)
        .digest('hex'),
      summary: describeCall(call, preview, verdict),
      targets: preview === undefined ? null : JSON.stringify(preview.entries.map((entry) => entry.path)),
      previewDigest: preview?.digest ?? null,
      bulk: preview?.bulk === true ? 1 : 0,
      status: 'pending',
      decidedBy: null,
      remember: 0,
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + this.deps.approvalTimeoutMs).toISOString(),
      decidedAt: null,
    };
    await this.deps.store.approvals.insert(approval);
    this.deps.events.emit(this.taskId, 'approval', {
      id: approval.id,
      toolCallId: record.id,
      tool: call.tool,
      input: call.input,
      summary: approval.summary,
      ...(preview === undefined
        ? {}
        : { targets: preview.entries.map((entry) => entry.path), bulk: preview.bulk }),
      status: 'pending',
      expiresAt: approval.expiresAt,
    });
    return approval;
  }

  private waitFor(approval: ApprovalRecord): Promise<ApprovalAnswer> {
    return new Promise<ApprovalAnswer>((resolve) => {
      const deadline: { timer?: NodeJS.Timeout } = {};
      const settle = (answer: ApprovalAnswer): void => {
        clearTimeout(deadline.timer);
        this.waiting.delete(approval.id);
        resolve(answer);
      };
      this.waiting.set(approval.id, settle);
      if (this.stopReason !== undefined) {
        settle('cancelled');
        return;
      }
      // Answered while the orchestrator was down, or just now before the wait began.
      void this.deps.store.approval(approval.id).then((current) => {
        if (current !== null && current.status !== 'pending') settle(answerOf(current));
      });
      const left = Date.parse(approval.expiresAt) - Date.now();
      deadline.timer = setTimeout(() => void this.expire(approval.id).then(settle), Math.max(0, left));
    });
  }

  /** The deadline passed: the approval fails closed, unless the person answered just before. */
  private async expire(approvalId: string): Promise<ApprovalAnswer> {
    const result = await this.deps.store.approvals.update(
      { id: approvalId, status: 'pending' },
      { status: 'expired', decidedBy: 'deadline', decidedAt: new Date().toISOString() },
    );
    const current = await this.deps.store.approval(approvalId);
    if ((result.affected ?? 0) > 0) {
      this.deps.events.emit(this.taskId, 'approval', {
        id: approvalId,
        status: 'expired',
        decidedBy: 'deadline',
      });
    }
    return current === null ? 'expired' : answerOf(current);
  }

  private async addRule(call: CallToJudge): Promise<void> {
    const rule = ruleFor(call);
    if (rule === undefined) return;
    const task = await this.deps.store.task(this.taskId);
    const rules = JSON.parse(task.rules) as TaskRule[];
    if (rules.some((existing) => existing.tool === rule.tool && existing.pattern === rule.pattern)) return;
    await this.deps.store.update(this.taskId, { rules: JSON.stringify([...rules, rule]) });
    this.deps.events.emit(this.taskId, 'notice', {
      text: `allowed for the rest of this task: ${rule.tool} ${rule.pattern}`,
    });
  }

  private async internal(
    task: TaskRecord,
    record: ToolCallRecord,
    tool: string,
    input: Record<string, unknown>,
  ): Promise<ToolOutcome> {
    let outcome: ToolOutcome;
    if (tool === 'todo_write') {
      const todos = input['todos'] as Todo[];
      await this.deps.store.update(this.taskId, { todos: JSON.stringify(todos) });
      const done = todos.filter((todo) => todo.status === 'completed').length;
      this.deps.events.emit(this.taskId, 'todos', { todos, progress: { done, total: todos.length } });
      outcome = ok(`Todo list saved: ${done} of ${todos.length} done.`);
    } else if (tool === 'scratchpad_write') {
      const content = String(input['content'] ?? '').slice(0, TOOL_LIMITS.scratchpadLength);
      await this.deps.store.update(this.taskId, { scratchpad: content });
      this.deps.events.emit(this.taskId, 'scratchpad', { content });
      outcome = ok(`Scratchpad saved (${content.length} characters).`);
    } else {
      await this.deps.store.setCallStatus(this.taskId, record.id, 'running');
      const children = input['tasks'] as ChildRequest[];
      const results = await this.deps.runChildren(task, children, this.abort.signal);
      this.checkStopped();
      outcome = ok(
        results
          .map(
            (result, index) =>
              `## Sub-agent ${index + 1}: ${children[index]?.description ?? ''} (${result.status}, task ${result.taskId})\n${result.answer}`,
          )
          .join('\n\n'),
      );
    }
    await this.recordOutcome(record, outcome, 'done');
    return outcome;
  }

  private async markRunningCallsUnknown(reason: string): Promise<void> {
    for (const record of await this.deps.store.callsOf(this.taskId)) {
      if (record.status === 'running') {
        await this.recordOutcome(record, failure('CANCELLED', reason), 'unknown');
      } else if (record.status === 'pending' || record.status === 'waiting_approval') {
        await this.recordOutcome(
          record,
          failure('CANCELLED', 'the task ended before this call ran'),
          'denied',
        );
      }
    }
    await this.deps.store.approvals.update(
      { taskId: this.taskId, status: 'pending' },
      { status: 'denied', decidedBy: 'person', decidedAt: new Date().toISOString() },
    );
  }

  /**
   * Near the context window: the conversation so far is folded into a summary the model writes,
   * which takes its place (the messages stay on the task, marked compacted). The latest message
   * (the newest tool results) is kept word for word after the summary.
   */
  private async compact(
    task: TaskRecord,
    conversation: ReadonlyArray<{ seq: number; message: ChatMessage }>,
  ): Promise<void> {
    this.compactNext = false;
    const last = conversation.at(-1);
    if (last === undefined || last.message.role !== 'user') return;
    const { provider, model } = this.deps.models.resolve(task.model);
    const transcript = conversation.map((entry) => entry.message);
    const ask: ChatMessage = {
      role: 'user',
      content: [
        ...last.message.content,
        { type: 'text', text: 'Now summarize the work so far as instructed.' },
      ],
    };
    const summary = await provider.complete({
      model,
      system:
        'You summarize an agent’s work so far so it can continue with less context. Keep: the task as ' +
        'asked, decisions made, files read and written (paths), results and numbers still needed, ' +
        'what is left to do. Be complete and concrete; no preamble.',
      tools: this.deps.tools.tools({ subagent: task.parentId !== null }),
      messages: [...transcript.slice(0, -1), ask],
      maxTokens: 4_096,
      signal: this.abort.signal,
    });
    this.checkStopped();
    const current = await this.deps.store.task(this.taskId);
    const usage = addUsage(JSON.parse(current.usage) as TaskUsage, task.model, summary.usage);
    await this.deps.store.update(this.taskId, { usage: JSON.stringify(usage) });
    const latest = last.message.content
      .map((block) =>
        block.type === 'tool_result'
          ? `Result of your call ${(block as ToolResultBlock).tool_use_id}:\n${(block as ToolResultBlock).content}`
          : block.type === 'text'
            ? (block as { text: string }).text
            : '',
      )
      .filter((text) => text !== '')
      .join('\n\n');
    await this.deps.store.compact(this.taskId, last.seq, [
      {
        type: 'text',
        text:
          `The task: ${task.prompt}\n\nEarlier work, summarized because the conversation grew long:\n` +
          `${textOf(summary.content)}\n\nThe latest results:\n${latest}\n\nContinue the task.`,
      },
    ]);
    this.deps.events.emit(this.taskId, 'notice', { text: 'older turns were summarized to make room' });
  }
}

function answerOf(record: ApprovalRecord): ApprovalAnswer {
  return record.status === 'allowed' ? 'allowed' : record.status === 'expired' ? 'expired' : 'denied';
}

function ok(text: string): ToolOutcome {
  return { text, full: text, isError: false, summary: text.split('\n', 1)[0]?.slice(0, 200) ?? '' };
}

function failure(code: string, message: string): ToolOutcome {
  const text = `${code}: ${message}`;
  return { text, full: text, isError: true, summary: text.slice(0, 200), code };
}

function unknownOutcome(tool: string): ToolOutcome {
  return failure(
    'UNKNOWN_OUTCOME',
    `Steward stopped while this ${tool} call was running, so whether it took effect is unknown. It was ` +
      'not run again. Check the current state (list or read the files involved) before deciding to repeat it.',
  );
}

/** JSON with keys sorted, so the same arguments always read the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What the person is shown for one approval. */
function describeCall(call: CallToJudge, preview: DeletePreview | undefined, verdict: Verdict): string {
  if (preview !== undefined) {
    const what = `${preview.files} file(s)${preview.folders > 0 ? ` in ${preview.folders} folder(s)` : ''}, ${preview.bytes} bytes`;
    return `Delete ${preview.path} (${what}) — it goes to Steward's trash and can be restored${preview.bulk ? '. This is a bulk delete.' : ''}`;
  }
  const input = call.input;
  switch (call.tool) {
    case 'run_command':
      return `Run in the sandbox: ${String(input['command'])}`;
    case 'write_file':
      return `Write ${String(input['path'])} (${String(input['content'] ?? '').length} characters)`;
    case 'edit_file':
      return `Edit ${String(input['path'])}`;
    case 'move_path':
      return `Move ${String(input['from'])} to ${String(input['to'])}`;
    case 'make_directory':
      return `Create the folder ${String(input['path'])}`;
    default:
      return `${call.tool} (${verdict.reason})`;
  }
}
