import {
  FINAL_TASK_STATUSES,
  type TaskCreateInput,
  type TaskEvent,
  type TaskStatus,
  type TaskView,
} from '@steward/contracts';
import { describeAnswer, type ApprovalRequest } from './approval-prompt.js';
import type { Approver } from './approvers.js';
import { exitCodeForStatus, RUN_EXIT, type RunExitCode } from './exit-codes.js';
import { ProgressTracker, STARTING } from './progress-line.js';
import type { RunOutput } from './run-output.js';
import { summaryLines } from './run-summary.js';
import { ApiError, type TaskApi } from './task-client.js';
import { followTask, type FollowOptions } from './task-follower.js';

export interface RunRequest {
  readonly prompt: string;
  readonly folders: readonly string[];
  readonly model?: string;
  /** Approval mode `auto`: writes and commands run without asking (deletes still ask). */
  readonly auto: boolean;
}

export interface RunSessionDeps {
  readonly api: TaskApi;
  readonly output: RunOutput;
  readonly approver: Approver;
  /** `--json`: the task view on stdout at the end, and nothing else there. */
  readonly json: boolean;
  readonly stdout: { write(text: string): unknown };
  readonly follow?: Omit<FollowOptions, 'signal'>;
  /** How often the live line's clock moves. */
  readonly tickMs?: number;
}

export interface RunResult {
  readonly exitCode: RunExitCode;
  readonly taskId: string | undefined;
  readonly view: TaskView | undefined;
}

/** Tools whose work the live line already shows (the plan), not worth a line of their own. */
const QUIET_TOOLS = new Set(['todo_write', 'scratchpad_write']);

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

interface AskedApproval {
  state: 'queued' | 'asking' | 'done';
  byUs: boolean;
  controller?: AbortController;
}

/**
 * One `steward run`: creates the task, follows its events (and its sub-agents', whose approvals
 * are asked here too), streams the answer, asks approvals one at a time, and on the end prints the
 * outcome. `interrupt()` is the first Ctrl-C: the task is cancelled and followed to its end.
 */
export class RunSession {
  private readonly tracker = new ProgressTracker();
  private readonly abort = new AbortController();
  private readonly children = new AbortController();
  private readonly followed = new Set<string>();
  private readonly approvals = new Map<string, AskedApproval>();
  private readonly queue: ApprovalRequest[] = [];
  private asking = false;
  /** The loop that puts approvals to the person, while it runs. */
  private pumping: Promise<void> = Promise.resolve();
  private taskId: string | undefined;
  private interrupted = false;
  private finished = false;
  /** Text streamed in the current model turn, and in the last one that ended. */
  private turnText = '';
  private lastTurnText = '';

  constructor(private readonly deps: RunSessionDeps) {}

  /** The first Ctrl-C: cancel the task, stop asking, and wait for it to end. */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.deps.output.urgent('Cancelling the task… (press Ctrl-C again to stop waiting)');
    this.withdrawApprovals('Not answered: the task is being cancelled.');
    if (this.taskId !== undefined) this.cancel(this.taskId);
  }

  async run(request: RunRequest): Promise<RunResult> {
    const { api, output } = this.deps;
    output.progress({ status: 'queued', progress: undefined, activity: STARTING });
    const input: TaskCreateInput = {
      prompt: request.prompt,
      folders: [...request.folders],
      ...(request.model === undefined ? {} : { model: request.model }),
      ...(request.auto ? { approvalMode: 'auto' as const } : {}),
    };
    let created: { id: string };
    try {
      created = await api.create(input);
    } catch (error) {
      output.finish();
      throw error;
    }
    const taskId = created.id;
    this.taskId = taskId;
    output.log(`Task ${taskId} started; it also shows in the page.`);
    if (this.interrupted) this.cancel(taskId);
    const ticker = setInterval(() => output.tick(), this.deps.tickMs ?? 1_000);
    ticker.unref();
    let status: TaskStatus | undefined;
    try {
      status = await followTask(
        api,
        taskId,
        {
          onEvent: (event) => this.onEvent(event),
          onSnapshot: (view) => this.onSnapshot(view),
          onConnection: (_change, detail) => output.say(detail),
        },
        { ...this.deps.follow, signal: this.abort.signal },
      );
    } catch (error) {
      if (!this.abort.signal.aborted) {
        await this.close(ticker);
        throw error;
      }
    }
    await this.close(ticker);
    // Stopped waiting without an end: one look at the task is enough, the ui may be gone.
    const view = await this.finalView(taskId, status === undefined ? 1 : 5);
    return this.report(taskId, status, view);
  }

  private async close(ticker: NodeJS.Timeout): Promise<void> {
    clearInterval(ticker);
    this.finished = true;
    this.children.abort();
    this.withdrawApprovals('Not answered: the task ended.');
    // An open question is withdrawn on its own line before the summary is written.
    await this.pumping;
    this.deps.approver.close();
    this.deps.output.finish();
  }

  private report(taskId: string, status: TaskStatus | undefined, view: TaskView | undefined): RunResult {
    const { output } = this.deps;
    if (view === undefined) {
      if (status === undefined) {
        output.say(`Stopped waiting; task ${taskId} may still be running — see the page.`);
        return { exitCode: RUN_EXIT.cancelled, taskId, view };
      }
      output.say(`The task ended ${status}, but its details could not be read.`);
      return { exitCode: exitCodeForStatus(status), taskId, view };
    }
    if (this.deps.json) {
      this.deps.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    } else {
      const answer = view.answer ?? '';
      if (answer.trim() !== '' && answer.trim() !== this.lastTurnText.trim()) {
        output.answer(answer.endsWith('\n') ? answer : `${answer}\n`);
        output.finish();
      }
      for (const line of summaryLines(view, output.elapsedMs)) output.say(line);
    }
    const final = FINAL_TASK_STATUSES.includes(view.status);
    // Stopped waiting before the task ended (Ctrl-C, and the cancel did not go through).
    if (!final) return { exitCode: RUN_EXIT.cancelled, taskId, view };
    return { exitCode: exitCodeForStatus(view.status), taskId, view };
  }

  /** The task as it ended; a ui that just restarted gets a few tries. */
  private async finalView(taskId: string, attempts: number): Promise<TaskView | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.api.get(taskId);
      } catch (error) {
        if (attempt >= attempts) {
          this.deps.output.say(
            `Could not read task ${taskId}: ${error instanceof Error ? error.message : String(error)}`,
          );
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  private cancel(taskId: string): void {
    this.deps.api.cancel(taskId).catch((error: unknown) => {
      this.deps.output.urgent(
        `Could not cancel task ${taskId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.abort.abort();
    });
  }

  private onEvent(event: TaskEvent): void {
    const { output } = this.deps;
    const data = event.data;
    this.tracker.apply(event);
    switch (event.kind) {
      case 'text':
        this.onText(data);
        break;
      case 'message':
        if (data['role'] === 'assistant') this.endTurn(asString(data['text']) ?? '');
        else if (data['role'] === 'user' && asString(data['text']))
          output.log(`Message from the page: ${asString(data['text'])}`);
        break;
      case 'tool':
        this.logTool(data, undefined);
        break;
      case 'approval':
        this.onApproval(event.taskId, data, undefined);
        break;
      case 'notice':
        if (asString(data['text'])) output.log(`Note: ${asString(data['text'])}`);
        break;
      case 'child':
        this.follow(asString(data['childId']), asString(data['description']));
        break;
      default:
        break;
    }
    output.progress(this.tracker.state);
  }

  private onText(data: Record<string, unknown>): void {
    const { output } = this.deps;
    if (data['restart'] === true) {
      if (this.turnText !== '') {
        output.endAnswerLine();
        output.log('(the model started its answer again)');
      }
      this.turnText = '';
      return;
    }
    const delta = asString(data['delta']);
    if (delta === undefined || delta === '') return;
    this.turnText += delta;
    output.answer(delta);
  }

  /** A model turn ended: its text is whole now (and written, if it never streamed). */
  private endTurn(text: string): void {
    const { output } = this.deps;
    if (this.turnText === '' && text !== '') {
      output.answer(text);
      this.turnText = text;
    }
    output.endAnswerLine();
    if (this.turnText !== '') this.lastTurnText = this.turnText;
    this.turnText = '';
  }

  private onSnapshot(view: TaskView): void {
    this.tracker.applySnapshot(view);
    this.snapshotApprovals(view, undefined);
    this.deps.output.progress(this.tracker.state);
  }

  private onChildSnapshot(view: TaskView, agent: string): void {
    this.snapshotApprovals(view, agent);
    this.deps.output.progress(this.tracker.state);
  }

  /** A polled task's approvals and sub-agents, as its events would have told them. */
  private snapshotApprovals(view: TaskView, agent: string | undefined): void {
    for (const approval of view.approvals) {
      if (approval.status === 'pending') {
        this.ask({
          taskId: view.id,
          approvalId: approval.id,
          tool: approval.tool,
          summary: approval.summary,
          ...(approval.targets === undefined ? {} : { targets: approval.targets }),
          ...(agent === undefined ? {} : { agent }),
        });
      } else {
        this.decided(approval.id, approval.status, approval.decidedBy);
      }
    }
    for (const child of view.children) this.follow(child, undefined);
  }

  private logTool(data: Record<string, unknown>, agent: string | undefined): void {
    const status = data['status'];
    const tool = asString(data['tool']) ?? 'a tool';
    if (status !== 'done' && status !== 'denied' && status !== 'unknown') return;
    if (QUIET_TOOLS.has(tool) && data['isError'] !== true) return;
    const failed = data['isError'] === true || status !== 'done';
    const summary = asString(data['resultSummary']) ?? tool;
    const who = agent === undefined ? '' : `[${agent}] `;
    this.deps.output.log(`  ${failed ? '✗' : '✓'} ${who}${summary}`);
  }

  private onApproval(taskId: string, data: Record<string, unknown>, agent: string | undefined): void {
    const id = asString(data['id']);
    if (id === undefined) return;
    const status = asString(data['status']);
    if (status !== 'pending') {
      this.decided(id, status, asString(data['decidedBy']));
      return;
    }
    const targets = Array.isArray(data['targets'])
      ? data['targets'].filter((target): target is string => typeof target === 'string')
      : undefined;
    this.ask({
      taskId,
      approvalId: id,
      tool: asString(data['tool']) ?? 'a tool',
      summary: asString(data['summary']) ?? '',
      ...(targets === undefined ? {} : { targets }),
      ...(data['bulk'] === true ? { bulk: true } : {}),
      ...(agent === undefined ? {} : { agent }),
    });
  }

  private ask(request: ApprovalRequest): void {
    if (this.approvals.has(request.approvalId) || this.finished || this.interrupted) return;
    this.approvals.set(request.approvalId, { state: 'queued', byUs: false });
    this.queue.push(request);
    if (!this.asking) this.pumping = this.pump();
  }

  /** An approval was decided: by us, in the page, by a rule, or by its deadline. */
  private decided(approvalId: string, status: string | undefined, decidedBy: string | undefined): void {
    const entry = this.approvals.get(approvalId);
    if (entry === undefined) {
      this.approvals.set(approvalId, { state: 'done', byUs: false });
      return;
    }
    if (entry.state === 'done' || entry.byUs) {
      entry.state = 'done';
      return;
    }
    const why =
      decidedBy === 'deadline' || status === 'expired'
        ? 'Not answered in time: the approval expired and the call was not run.'
        : `Answered elsewhere (${decidedBy === 'rule' ? 'a rule' : 'the page'}): ${status ?? 'decided'}.`;
    if (entry.state === 'queued') {
      const index = this.queue.findIndex((request) => request.approvalId === approvalId);
      if (index !== -1) this.queue.splice(index, 1);
    }
    entry.controller?.abort(why);
    entry.state = 'done';
  }

  private withdrawApprovals(reason: string): void {
    this.queue.length = 0;
    for (const entry of this.approvals.values()) {
      if (entry.state === 'asking') entry.controller?.abort(reason);
      entry.state = 'done';
    }
  }

  /** Puts approvals to the person one at a time, in the order they came. */
  private async pump(): Promise<void> {
    if (this.asking) return;
    this.asking = true;
    try {
      for (let request = this.queue.shift(); request !== undefined; request = this.queue.shift()) {
        const entry = this.approvals.get(request.approvalId);
        if (entry === undefined || entry.state !== 'queued') continue;
        entry.state = 'asking';
        const withdrawn = new AbortController();
        entry.controller = withdrawn;
        const answer = await this.deps.approver.decide(request, withdrawn.signal);
        // Decided elsewhere while the question was open: the late answer is not sent.
        if (answer === undefined || withdrawn.signal.aborted) continue;
        entry.byUs = true;
        await this.answer(request, answer === 'deny' ? 'deny' : 'allow', answer === 'always');
        entry.state = 'done';
      }
    } finally {
      this.asking = false;
    }
  }

  /** Says the decision at once (it is made), then delivers it; a failed delivery is said too. */
  private async answer(
    request: ApprovalRequest,
    decision: 'allow' | 'deny',
    remember: boolean,
  ): Promise<void> {
    this.deps.output.say(describeAnswer(remember ? 'always' : decision));
    try {
      await this.deps.api.approve(request.taskId, request.approvalId, decision, remember);
    } catch (error) {
      const message =
        error instanceof ApiError && error.code === 'CONFLICT'
          ? 'Too late: this approval was already answered or has expired.'
          : `The answer was not delivered (${error instanceof Error ? error.message : String(error)}); answer it in the page.`;
      this.deps.output.say(message);
    }
  }

  /** Follows a sub-agent's task for its approvals and activity, until it (or the run) ends. */
  private follow(childId: string | undefined, description: string | undefined): void {
    if (childId === undefined || this.followed.has(childId) || this.finished) return;
    this.followed.add(childId);
    const agent = description?.trim() || `sub-agent ${this.followed.size}`;
    this.deps.output.log(`Sub-agent started: ${agent}`);
    void followTask(
      this.deps.api,
      childId,
      {
        onEvent: (event) => this.onChildEvent(event, agent),
        onSnapshot: (view) => this.onChildSnapshot(view, agent),
      },
      { ...this.deps.follow, signal: this.children.signal },
    ).then(
      (status) => this.deps.output.log(`Sub-agent ${status}: ${agent}`),
      () => undefined,
    );
  }

  private onChildEvent(event: TaskEvent, agent: string): void {
    this.tracker.apply(event, agent);
    const data = event.data;
    if (event.kind === 'tool') this.logTool(data, agent);
    else if (event.kind === 'approval') this.onApproval(event.taskId, data, agent);
    else if (event.kind === 'notice' && asString(data['text']))
      this.deps.output.log(`Note [${agent}]: ${asString(data['text'])}`);
    else if (event.kind === 'child') this.follow(asString(data['childId']), asString(data['description']));
    this.deps.output.progress(this.tracker.state);
  }
}
