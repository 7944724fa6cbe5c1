import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectView, TaskSummary, TaskView } from '@steward/contracts';
import { text, toolUse, type ModelServer } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import type { Stack } from '../support/stack.js';
import { answerApproval, eventually, taskIn } from '../support/tasks.js';

/*
 * Projects through the page's HTTP API on the real stack: kept by the orchestrator in its own
 * SQLite file, their instructions read by the model with every turn of their tasks.
 */

const API_KEY = 'sk-ant-projects-test-key';

describe('projects', () => {
  let agent: AgentStack;
  let stack: Stack;
  let server: ModelServer;

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await stack.api(path, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.status, body: (await response.json()) as T };
  }
  type Failure = { error: { code: string; message: string } };

  beforeAll(async () => {
    agent = await startAgentStack({ apiKey: API_KEY });
    ({ stack, server } = agent);
  }, 180_000);

  afterEach(() => {
    expect(agent.newProblems()).toEqual([]);
  });

  afterAll(async () => {
    await agent?.close();
  });

  it('creates, lists by name, reads, renames and refuses a second project of the same name', async () => {
    const dir = agent.folder();
    const created = await call<ProjectView>('POST', '/api/projects', {
      name: '  Quarterly report ',
      instructions: 'Write for the board.',
      folders: [dir],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Quarterly report',
      instructions: 'Write for the board.',
      folders: [dir],
      taskCount: 0,
      activeTaskCount: 0,
    });
    const other = await call<ProjectView>('POST', '/api/projects', { name: 'accounts' });
    expect(other.body.instructions).toBe('');

    const clash = await call<Failure>('POST', '/api/projects', { name: 'QUARTERLY REPORT' });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('EXISTS');

    const list = await call<{ projects: ProjectView[] }>('GET', '/api/projects');
    const names = list.body.projects.map((project) => project.name);
    expect(names.indexOf('accounts')).toBeLessThan(names.indexOf('Quarterly report'));

    const renamed = await call<ProjectView>('PATCH', `/api/projects/${created.body.id}`, {
      name: 'Q3 report',
      instructions: 'Write for the board, in euros.',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Q3 report', folders: [dir] });
    expect((await call<ProjectView>('GET', `/api/projects/${created.body.id}`)).body.instructions).toBe(
      'Write for the board, in euros.',
    );
    const taken = await call<Failure>('PATCH', `/api/projects/${created.body.id}`, { name: 'Accounts' });
    expect(taken.status).toBe(409);
    // Changing only the case of its own name is not a clash.
    expect((await call('PATCH', `/api/projects/${created.body.id}`, { name: 'q3 REPORT' })).status).toBe(200);
  });

  it('answers bad input with 400 and unknown projects with 404, creating nothing', async () => {
    const before = (await call<{ projects: ProjectView[] }>('GET', '/api/projects')).body.projects.length;
    for (const body of [
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(121) },
      { name: 'bell\u0007' },
      { name: 'ok', folders: ['relative/path'] },
      { name: 'ok', instructions: 'x'.repeat(20_001) },
      { name: 'ok', extra: true },
      ['not', 'an', 'object'],
    ]) {
      const answer = await call<Failure>('POST', '/api/projects', body);
      expect(answer.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_INPUT');
    }
    expect((await call<{ projects: ProjectView[] }>('GET', '/api/projects')).body.projects).toHaveLength(
      before,
    );
    expect((await call<Failure>('GET', '/api/projects/p_nope')).status).toBe(404);
    expect((await call<Failure>('GET', '/api/projects/..%2Fetc')).status).toBe(400);
    expect((await call<Failure>('PATCH', '/api/projects/p_nope', { name: 'x' })).status).toBe(404);
    expect((await call<Failure>('DELETE', '/api/projects/p_nope')).status).toBe(404);
    const anonymous = await fetch(`${stack.url}/api/projects`);
    expect(anonymous.status).toBe(401);
  });

  it('runs a task in a project under its instructions, lists it there, and keeps it when the project goes', async () => {
    const dir = agent.folder({ 'a.txt': 'alpha\n' });
    const project = (
      await call<ProjectView>('POST', '/api/projects', {
        name: 'Invoices',
        instructions: 'Amounts are always in EUR. Never round.',
        folders: [dir],
      })
    ).body;
    agent.script.add('[in-project]', [
      toolUse('write_file', { path: join(dir, 'out.txt'), content: 'done\n' }),
      text('Written.'),
    ]);
    const created = await call<{ id: string }>('POST', '/api/tasks', {
      prompt: '[in-project] write it',
      folders: [dir],
      projectId: project.id,
    });
    expect(created.status).toBe(201);
    const taskId = created.body.id;

    // While its task waits for an approval the project cannot be deleted.
    await eventually(async () => {
      const view = (await call<TaskView>('GET', `/api/tasks/${taskId}`)).body;
      return view.status === 'waiting_approval' ? view : undefined;
    }, 'the task to ask for its write');
    expect((await call<ProjectView>('GET', `/api/projects/${project.id}`)).body.activeTaskCount).toBe(1);
    const refused = await call<Failure>('DELETE', `/api/projects/${project.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');

    await answerApproval(agent.page, taskId, 'allow');
    const done = await taskIn(agent.page, taskId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.projectId).toBe(project.id);

    // Every turn of the task carried the project's instructions in the system prompt.
    const sent = server.modelRequests
      .map((recorded) => recorded.body as { system?: unknown; messages: unknown[] })
      .filter((body) => JSON.stringify(body.messages[0]).includes('[in-project]'));
    expect(sent).toHaveLength(2);
    for (const body of sent)
      expect(JSON.stringify(body.system)).toContain('Amounts are always in EUR. Never round.');

    const inProject = (await call<{ tasks: TaskSummary[] }>('GET', `/api/tasks?projectId=${project.id}`))
      .body;
    expect(inProject.tasks.map((task) => task.id)).toEqual([taskId]);
    expect((await call<ProjectView>('GET', `/api/projects/${project.id}`)).body).toMatchObject({
      taskCount: 1,
      activeTaskCount: 0,
    });

    const deleted = await call<{ deleted: boolean; tasksKept: number }>(
      'DELETE',
      `/api/projects/${project.id}`,
    );
    expect(deleted).toEqual({ status: 200, body: { deleted: true, tasksKept: 1 } });
    const kept = (await call<TaskView>('GET', `/api/tasks/${taskId}`)).body;
    expect(kept.status).toBe('completed');
    expect(kept.projectId).toBeUndefined();
    expect((await call('GET', `/api/projects/${project.id}`)).status).toBe(404);
  });

  it('refuses a task for a project that does not exist, before anything runs', async () => {
    const dir = agent.folder();
    const requestsBefore = server.modelRequests.length;
    const answer = await call<Failure>('POST', '/api/tasks', {
      prompt: '[no-project] anything',
      folders: [dir],
      projectId: 'p_missing',
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toContain('p_missing');
    const recent = (await call<{ tasks: TaskSummary[] }>('GET', '/api/tasks?limit=50')).body.tasks;
    expect(recent.some((task) => task.prompt.includes('[no-project]'))).toBe(false);
    expect(server.modelRequests.length).toBe(requestsBefore);
  });
});
