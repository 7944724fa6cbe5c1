import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orchestratorTaskGet } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { hang, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import type { Stack } from '../support/stack.js';
import { answerApproval, createTask, eventually, taskIn } from '../support/tasks.js';

/*
 * The orchestrator killed (SIGKILL) mid-task: the supervisor restarts it and every task continues
 * from its last saved step — a call that was running is reported to the model as of unknown outcome
 * and never sent again, pending approvals are still there, a model turn in flight is asked again —
 * or, after too many restarts, ends `interrupted` with an account of what was done. Approvals nobody
 * answers expire and fail closed.
 */

const API_KEY = 'sk-ant-restart-test-key';

describe('orchestrator restarts and approval deadlines', () => {
  let agent: AgentStack;
  let stack: Stack;
  let page: BusClient;
  let script: AgentStack['script'];
  const folder = (files?: Record<string, string>): string => agent.folder(files, 'steward-restart-');

  async function killOrchestrator(): Promise<void> {
    const before = stack.pid('orchestrator');
    if (before === undefined) throw new Error('the orchestrator has no pid file');
    process.kill(before, 'SIGKILL');
    await eventually(
      async () => {
        const now = stack.pid('orchestrator');
        return now !== undefined && now !== before ? now : undefined;
        // The supervisor backs off (up to 30 s, jittered) when a service keeps crashing.
      },
      'the orchestrator to be restarted',
      90_000,
    );
    await stack.waitHealthy(60_000);
  }

  beforeAll(async () => {
    agent = await startAgentStack({ apiKey: API_KEY, env: () => ({ STEWARD_APPROVAL_TIMEOUT_MS: '8000' }) });
    ({ stack, page, script } = agent);
  }, 180_000);

  afterEach(() => {
    expect(agent.newProblems()).toEqual([]);
  });

  afterAll(async () => {
    await agent?.close();
  });

  it('never runs a command twice when the orchestrator dies while it runs', async () => {
    const dir = folder();
    script.add('[kill-running]', [
      toolUse('run_command', { command: 'echo ran >> runs.txt; sleep 4' }),
      (request) => {
        const result = request.toolResults[0];
        return text(
          result?.isError && result.content.includes('UNKNOWN_OUTCOME') ? 'unknown, checked' : 'other',
        );
      },
    ]);
    const { id } = await createTask(page, {
      prompt: '[kill-running] run it',
      folders: [dir],
      approvalMode: 'auto',
    });
    await eventually(
      async () => (existsSync(join(dir, 'runs.txt')) ? true : undefined),
      'the command to start',
      60_000,
    );
    await killOrchestrator();
    const task = await taskIn(page, id, ['completed', 'failed', 'interrupted'], 60_000);
    expect(task.error).toBeUndefined();
    expect(task.answer).toBe('unknown, checked');
    expect(task.toolCalls[0]).toMatchObject({ tool: 'run_command', status: 'unknown', isError: true });
    // Long enough for a second run to have written its line, had there been one.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(readFileSync(join(dir, 'runs.txt'), 'utf8')).toBe('ran\n');
  }, 120_000);

  it('keeps a pending approval across a restart and goes on when it is answered', async () => {
    const dir = folder();
    script.add('[kill-waiting]', [
      toolUse('write_file', { path: join(dir, 'after.txt'), content: 'approved after a restart\n' }),
      text('written'),
    ]);
    const { id } = await createTask(page, { prompt: '[kill-waiting] write it', folders: [dir] });
    const waiting = await taskIn(page, id, ['waiting_approval']);
    await killOrchestrator();
    const still = await taskIn(page, id, ['waiting_approval']);
    expect(still.approvals.map((approval) => [approval.id, approval.status])).toEqual([
      [waiting.approvals[0]?.id, 'pending'],
    ]);
    await answerApproval(page, id, 'allow');
    const task = await taskIn(page, id, ['completed', 'failed']);
    expect(task.answer).toBe('written');
    expect(readFileSync(join(dir, 'after.txt'), 'utf8')).toBe('approved after a restart\n');
  }, 120_000);

  it('asks the model again when it died during a model turn', async () => {
    const dir = folder();
    script.add('[kill-thinking]', [hang(), text('answered after the restart')]);
    const { id } = await createTask(page, { prompt: '[kill-thinking] think', folders: [dir] });
    await eventually(
      async () => (script.served('[kill-thinking]') === 1 ? true : undefined),
      'the first turn',
    );
    await killOrchestrator();
    const task = await taskIn(page, id, ['completed', 'failed'], 60_000);
    expect(task.answer).toBe('answered after the restart');
    expect(script.served('[kill-thinking]')).toBe(2);
  }, 120_000);

  it('ends a task interrupted, saying what was done, when the orchestrator keeps dying under it', async () => {
    const dir = folder({ 'a.txt': 'a' });
    script.add('[kill-often]', [
      toolUse('read_file', { path: join(dir, 'a.txt') }),
      hang(),
      hang(),
      hang(),
      hang(),
    ]);
    const { id } = await createTask(page, { prompt: '[kill-often] keep going', folders: [dir] });
    for (let turn = 2; turn <= 5; turn++) {
      await eventually(
        async () => (script.served('[kill-often]') >= turn ? true : undefined),
        `turn ${turn}`,
        60_000,
      );
      await killOrchestrator();
      if ((await page.request(orchestratorTaskGet, { taskId: id })).status === 'interrupted') break;
    }
    const task = await taskIn(page, id, ['interrupted'], 60_000);
    expect(task.error).toMatch(/stopped under this task 4 times/);
    expect(task.error).toMatch(/read_file/);
  }, 240_000);

  it('fails an approval nobody answers closed at its deadline', async () => {
    const dir = folder();
    script.add('[expire]', [
      toolUse('run_command', { command: 'touch never.txt' }),
      (request) => text(request.toolResults[0]?.content.includes('nobody answered') ? 'expired' : 'other'),
    ]);
    const { id } = await createTask(page, { prompt: '[expire] wait for me', folders: [dir] });
    await taskIn(page, id, ['waiting_approval']);
    const task = await taskIn(page, id, ['completed', 'failed'], 30_000);
    expect(task.answer).toBe('expired');
    expect(task.approvals[0]).toMatchObject({ status: 'expired', decidedBy: 'deadline' });
    expect(existsSync(join(dir, 'never.txt'))).toBe(false);
  }, 60_000);
});
