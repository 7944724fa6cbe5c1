import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TaskCreateInput, TaskEvent, TaskStatus, TaskView } from '@steward/contracts';
import type { ApprovalAnswer, ApprovalRequest } from './approval-prompt.js';
import { PromptingApprover, type Approver } from './approvers.js';
import { LineReader } from './line-reader.js';
import { RunOutput } from './run-output.js';
import { RunSession } from './run-session.js';
import { ApiError, type TaskApi } from './task-client.js';

function taskView(id: string, overrides: Partial<TaskView> = {}): TaskView {
  return {
    id,
    status: 'completed',
    prompt: 'p',
    folders: ['/d'],
    model: 'claude-sonnet-4-6',
    approvalMode: 'ask',
    progress: { done: 0, total: 0 },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    children: [],
    todos: [],
    approvals: [],
    toolCalls: [],
    messages: [],
    scratchpad: '',
    filesChanged: [],
    usage: {
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.001,
      byModel: {},
    },
    ...overrides,
  };
}

/** A ui whose task event streams the test writes to, event by event. */
class FakeUi implements TaskApi {
  readonly created: TaskCreateInput[] = [];
  readonly approved: Array<[string, string, string, boolean]> = [];
  readonly cancelled: string[] = [];
  readonly views = new Map<string, TaskView>();
  private readonly streams = new Map<string, { frames: string[]; wake?: () => void }>();
  private seq = 0;
  private createdTask?: () => void;
  readonly taskCreated = new Promise<void>((resolve) => (this.createdTask = resolve));
  onCancel: (taskId: string) => void = () => undefined;

  emit(taskId: string, kind: TaskEvent['kind'], data: Record<string, unknown>): void {
    const stream = this.stream(taskId);
    const event: TaskEvent = { taskId, kind, at: '2026-01-01T00:00:00.000Z', data };
    stream.frames.push(`id: ${++this.seq}\nevent: ${kind}\ndata: ${JSON.stringify(event)}\n\n`);
    stream.wake?.();
  }

  /** Ends the task: its view is what GET answers from now on, then the final status event. */
  end(taskId: string, status: TaskStatus, overrides: Partial<TaskView> = {}): void {
    this.views.set(taskId, taskView(taskId, { status, ...overrides }));
    this.emit(taskId, 'status', {
      status,
      ...(overrides.error === undefined ? {} : { error: overrides.error }),
    });
  }

  async create(input: TaskCreateInput): Promise<{ id: string; status: TaskStatus }> {
    this.created.push(input);
    this.createdTask?.();
    return { id: 't_main', status: 'queued' };
  }

  async get(taskId: string): Promise<TaskView> {
    const found = this.views.get(taskId);
    if (found === undefined) throw new ApiError('NOT_FOUND', 'no such task', 404);
    return found;
  }

  async approve(
    taskId: string,
    approvalId: string,
    decision: 'allow' | 'deny',
    remember: boolean,
  ): Promise<void> {
    this.approved.push([taskId, approvalId, decision, remember]);
  }

  async cancel(taskId: string): Promise<TaskStatus> {
    this.cancelled.push(taskId);
    this.onCancel(taskId);
    return 'cancelled';
  }

  async events(
    taskId: string,
    _last: string | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>> {
    const stream = this.stream(taskId);
    return (async function* () {
      for (;;) {
        const frame = stream.frames.shift();
        if (frame !== undefined) {
          yield frame;
          continue;
        }
        if (signal.aborted) return;
        await new Promise<void>((resolve) => {
          stream.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    })();
  }

  private stream(taskId: string): { frames: string[]; wake?: () => void } {
    let stream = this.streams.get(taskId);
    if (stream === undefined) {
      stream = { frames: [] };
      this.streams.set(taskId, stream);
    }
    return stream;
  }
}

/** Answers from a script; records what it was asked and whether the question was withdrawn. */
class ScriptedApprover implements Approver {
  readonly asked: ApprovalRequest[] = [];
  readonly withdrawn: string[] = [];
  constructor(private readonly answers: Array<ApprovalAnswer | 'wait'>) {}

  decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer | undefined> {
    this.asked.push(request);
    const answer = this.answers.shift() ?? 'deny';
    if (answer !== 'wait') return Promise.resolve(answer);
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => {
        this.withdrawn.push(String(signal.reason));
        resolve(undefined);
      }),
    );
  }

  close(): void {}
}

function setup(
  options: {
    json?: boolean;
    answers?: Array<ApprovalAnswer | 'wait'>;
    approver?: (output: RunOutput) => Approver;
  } = {},
) {
  const ui = new FakeUi();
  let out = '';
  let err = '';
  const stdout = { isTTY: false, write: (text: string) => (out += text) };
  const stderr = { isTTY: false, write: (text: string) => (err += text) };
  const output = new RunOutput({ stdout, stderr, quiet: options.json ?? false });
  const approver = new ScriptedApprover(options.answers ?? []);
  const session = new RunSession({
    api: ui,
    output,
    approver: options.approver?.(output) ?? approver,
    json: options.json ?? false,
    stdout,
    follow: { backoffMs: [0], pollIntervalMs: 5 },
  });
  return { ui, approver, session, stdout: () => out, stderr: () => err };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('RunSession', () => {
  it('streams the answer, does not print it twice, and ends with the summary and exit code 0', async () => {
    const { ui, session, stdout, stderr } = setup();
    const run = session.run({ prompt: 'Summarize', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'status', { status: 'running' });
    ui.emit('t_main', 'todos', { todos: [], progress: { done: 0, total: 2 } });
    ui.emit('t_main', 'text', { delta: 'Reading ' });
    ui.emit('t_main', 'text', { delta: 'first.' });
    ui.emit('t_main', 'message', { role: 'assistant', text: 'Reading first.' });
    ui.emit('t_main', 'tool', { id: 'c1', tool: 'read_file', input: { path: '/d/a' }, status: 'pending' });
    ui.emit('t_main', 'tool', { id: 'c1', tool: 'read_file', status: 'running' });
    ui.emit('t_main', 'tool', {
      id: 'c1',
      tool: 'read_file',
      status: 'done',
      isError: false,
      resultSummary: 'read_file /d/a — hello',
    });
    ui.emit('t_main', 'text', { delta: 'All done.' });
    ui.emit('t_main', 'message', { role: 'assistant', text: 'All done.' });
    ui.end('t_main', 'completed', { answer: 'All done.', filesChanged: ['/d/out.md'] });
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(ui.created).toEqual([{ prompt: 'Summarize', folders: ['/d'] }]);
    expect(stdout()).toBe('Reading first.\nAll done.\n');
    // Without a terminal: a plain line when the plan moves or a tool starts, never for a pause.
    expect(stderr()).toContain('Progress 0 of 2 · Thinking\nProgress 0 of 2 · read_file /d/a\n');
    expect(stderr()).toContain('  ✓ read_file /d/a — hello\n');
    expect(stderr()).not.toMatch(/^(Writing|Completed)$/m);
    expect(stderr()).toMatch(
      /Completed in \d+ s\.\nFiles changed \(1\):\n {2}\/d\/out\.md\nTokens: 10 in, 5 out · cost \$0\.0010\n/,
    );
  });

  it('prints the final answer at the end when it never streamed', async () => {
    const { ui, session, stdout } = setup();
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: true });
    await ui.taskCreated;
    ui.end('t_main', 'completed', { answer: 'The answer.' });
    await run;
    expect(ui.created[0]?.approvalMode).toBe('auto');
    expect(stdout()).toBe('The answer.\n');
  });

  it('says on stderr that the answer restarts, and goes on streaming', async () => {
    const { ui, session, stdout, stderr } = setup();
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'text', { delta: 'Hal' });
    ui.emit('t_main', 'text', { restart: true });
    ui.emit('t_main', 'text', { delta: 'Hello.' });
    ui.emit('t_main', 'message', { role: 'assistant', text: 'Hello.' });
    ui.end('t_main', 'completed', { answer: 'Hello.' });
    await run;
    expect(stdout()).toBe('Hal\nHello.\n');
    expect(stderr()).toContain('(the model started its answer again)');
  });

  it('asks each approval, sends the answer ("always" remembers), and says what was decided', async () => {
    const { ui, approver, session, stderr } = setup({ answers: ['always', 'deny'] });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'approval', {
      id: 'ap_1',
      tool: 'write_file',
      summary: 'Write /d/x',
      status: 'pending',
    });
    ui.emit('t_main', 'approval', {
      id: 'ap_2',
      tool: 'delete_path',
      summary: 'Delete /d/old',
      targets: ['/d/old/a'],
      bulk: true,
      status: 'pending',
    });
    await tick();
    ui.end('t_main', 'completed', { answer: 'ok' });
    await run;
    expect(approver.asked.map((r) => [r.approvalId, r.tool, r.targets, r.bulk])).toEqual([
      ['ap_1', 'write_file', undefined, undefined],
      ['ap_2', 'delete_path', ['/d/old/a'], true],
    ]);
    expect(ui.approved).toEqual([
      ['t_main', 'ap_1', 'allow', true],
      ['t_main', 'ap_2', 'deny', false],
    ]);
    expect(stderr()).toContain('Allowed, and for the rest of this task.\n');
    expect(stderr()).toContain('Denied.\n');
  });

  it('says so when an answer comes too late, and when it could not be delivered', async () => {
    const { ui, session, stderr } = setup({ answers: ['allow', 'deny'] });
    const failures = [
      new ApiError('CONFLICT', 'CONFLICT: approval ap_1 was already answered (expired)', 409),
      new ApiError('UNAVAILABLE', 'UNAVAILABLE: the bus is down', 503),
    ];
    ui.approve = async () => {
      throw failures.shift();
    };
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'approval', {
      id: 'ap_1',
      tool: 'write_file',
      summary: 'Write /d/x',
      status: 'pending',
    });
    ui.emit('t_main', 'approval', {
      id: 'ap_2',
      tool: 'write_file',
      summary: 'Write /d/y',
      status: 'pending',
    });
    await tick();
    ui.end('t_main', 'completed', { answer: 'ok' });
    await run;
    expect(stderr()).toContain('Allowed.\nToo late: this approval was already answered or has expired.\n');
    expect(stderr()).toContain(
      'Denied.\nThe answer was not delivered (UNAVAILABLE: the bus is down); answer it in the page.\n',
    );
  });

  it('withdraws a question answered in the page meanwhile, and sends nothing for it', async () => {
    const { ui, approver, session } = setup({ answers: ['wait'] });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'approval', { id: 'ap_1', tool: 'run_command', summary: 'Run: ls', status: 'pending' });
    await tick();
    ui.emit('t_main', 'approval', { id: 'ap_1', status: 'allowed', decidedBy: 'person' });
    await tick();
    expect(approver.withdrawn).toEqual(['Answered elsewhere (the page): allowed.']);
    ui.end('t_main', 'completed', { answer: 'ok' });
    await run;
    expect(ui.approved).toEqual([]);
  });

  it('withdraws an open question when the task ends, before the summary', async () => {
    const { ui, approver, session } = setup({ answers: ['wait'] });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'approval', { id: 'ap_1', tool: 'run_command', summary: 'Run: ls', status: 'pending' });
    await tick();
    ui.end('t_main', 'cancelled', { error: 'cancelled by the person' });
    expect((await run).exitCode).toBe(130);
    expect(approver.withdrawn).toEqual(['Not answered: the task ended.']);
    expect(ui.approved).toEqual([]);
  });

  it('ends the open question on its own line, with the reason, before the summary', async () => {
    const input = new PassThrough();
    const { ui, session, stderr } = setup({
      approver: (output) => new PromptingApprover(output, new LineReader(input), false),
    });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'approval', { id: 'ap_1', tool: 'run_command', summary: 'Run: ls', status: 'pending' });
    await tick();
    ui.end('t_main', 'cancelled', { error: 'cancelled in the page' });
    await run;
    expect(stderr()).toMatch(
      /Allow\? \[y\]es \/ \[n\]o \/ \[a\]lways for this task: \nNot answered: the task ended\.\nCancelled after \d+ s: cancelled in the page\n/,
    );
    expect(input.listenerCount('data')).toBe(0);
  });

  it('asks the approvals of sub-agents, named by their description', async () => {
    const { ui, approver, session } = setup({ answers: ['allow'] });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'child', { childId: 't_child', description: 'research' });
    ui.emit('t_child', 'approval', {
      id: 'ap_c',
      tool: 'write_file',
      summary: 'Write /d/c',
      status: 'pending',
    });
    await tick();
    ui.end('t_child', 'completed', { answer: 'child done' });
    ui.end('t_main', 'completed', { answer: 'ok' });
    await run;
    expect(approver.asked).toMatchObject([{ taskId: 't_child', approvalId: 'ap_c', agent: 'research' }]);
    expect(ui.approved).toEqual([['t_child', 'ap_c', 'allow', false]]);
  });

  it('cancels the task on the first interrupt, waits for it to end, and exits 130', async () => {
    const { ui, approver, session, stderr } = setup({ answers: ['wait'] });
    ui.onCancel = (taskId) => ui.end(taskId, 'cancelled', { error: 'cancelled by the person' });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'approval', {
      id: 'ap_1',
      tool: 'run_command',
      summary: 'Run: sleep 60',
      status: 'pending',
    });
    await tick();
    session.interrupt();
    const result = await run;
    expect(ui.cancelled).toEqual(['t_main']);
    expect(approver.withdrawn).toHaveLength(1);
    expect(result.exitCode).toBe(130);
    expect(stderr()).toContain('Cancelling the task');
    expect(stderr()).toContain('Cancelled after');
    expect(stderr()).toContain('cancelled by the person');
  });

  it('exits 1 with the reason for a failed task and 3 for an interrupted one', async () => {
    for (const [status, code] of [
      ['failed', 1],
      ['interrupted', 3],
    ] as const) {
      const { ui, session, stderr } = setup();
      const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
      await ui.taskCreated;
      ui.end('t_main', status, { error: `why it ${status}` });
      expect((await run).exitCode).toBe(code);
      expect(stderr()).toContain(`why it ${status}`);
    }
  });

  it('with --json writes only the task view to stdout', async () => {
    const { ui, session, stdout, stderr } = setup({ json: true });
    const run = session.run({ prompt: 'p', folders: ['/d'], auto: false });
    await ui.taskCreated;
    ui.emit('t_main', 'text', { delta: 'streamed' });
    ui.end('t_main', 'completed', { answer: 'streamed' });
    await run;
    expect(JSON.parse(stdout())).toMatchObject({ id: 't_main', status: 'completed', answer: 'streamed' });
    expect(stderr()).toBe('');
  });
});
