import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SettingsView, TaskFailure } from '@steward/contracts';
import { text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { createTask, eventually, taskIn } from '../support/tasks.js';

/*
 * The person's settings over the real stack: GET/PUT /api/settings through ui to the
 * orchestrator, which writes settings.json; every service's policy follows the file. Managed
 * policy (STEWARD_MANAGED_SETTINGS_DIR) locks what the organization set.
 */

const API_KEY = 'sk-ant-settings-api-test-key';
const SAVED_KEY = 'sk-ant-MARKER-saved-from-settings-5150';

interface Policy {
  readonly version: string;
  readonly values: Record<string, unknown>;
  readonly sources: Record<string, { kind: string; detail: string }>;
  readonly managed: Record<string, boolean>;
}
interface ErrorReply {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: { fields?: Record<string, { code: string; message: string }> };
  };
}

describe('the settings API', () => {
  let agent: AgentStack;
  let managed: string;
  let settingsFile: string;
  let dir: string;

  const api = (path: string, init?: RequestInit) => agent.stack.api(path, init);
  const put = (values: unknown): Promise<Response> =>
    api('/api/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(values),
    });
  const settings = async (): Promise<SettingsView> =>
    (await (await api('/api/settings')).json()) as SettingsView;
  const policy = async (): Promise<Policy> => (await (await api('/api/policy')).json()) as Policy;
  const entry = (view: SettingsView, key: string) => view.settings.find((setting) => setting.key === key);

  beforeAll(async () => {
    managed = mkdtempSync(join(tmpdir(), 'steward-managed-settings-'));
    const file = join(managed, 'managed-settings.json');
    writeFileSync(file, JSON.stringify({ 'agents.maxSubagentConcurrency': 2, 'approvals.allowAuto': false }));
    chmodSync(file, 0o644);
    agent = await startAgentStack({
      apiKey: API_KEY,
      // No STEWARD_MODEL: the default model comes from the person's settings or the built-in one.
      env: () => ({ STEWARD_MANAGED_SETTINGS_DIR: managed, STEWARD_MODEL: '' }),
    });
    settingsFile = join(agent.stack.home, 'settings.json');
    dir = agent.folder({ 'a.txt': 'a\n' }, 'steward-settings-api-');
  }, 180_000);

  afterAll(async () => {
    await agent?.close();
    if (managed) rmSync(managed, { recursive: true, force: true });
  });

  it('lists the settings a person may change, each with its value and who set it', async () => {
    const view = await settings();
    expect(view.settings.map((setting) => setting.key)).toEqual([
      'approvals.defaultMode',
      'models.defaultModel',
      'budget.maxTurns',
      'budget.maxCostUsd',
      'agents.maxSubagentConcurrency',
      'sandbox.commandTimeoutMs',
      'fs.deleteBulkThreshold',
    ]);
    expect(entry(view, 'budget.maxTurns')).toMatchObject({
      value: 200,
      source: { kind: 'default' },
      locked: false,
      env: 'STEWARD_MAX_TURNS',
    });
    expect(entry(view, 'agents.maxSubagentConcurrency')).toMatchObject({
      value: 2,
      source: { kind: 'managed' },
      locked: true,
    });
    expect(view.settingsFile).toBe(settingsFile);
    expect(view.providers.anthropic).toEqual({
      baseUrl: agent.server.url.replace(/\/+$/, ''),
      variable: 'ANTHROPIC_BASE_URL',
      fromEnv: true,
    });
    expect(view.providers.openai).toEqual({
      baseUrl: null,
      variable: 'STEWARD_OPENAI_BASE_URL',
      fromEnv: false,
    });
  });

  it('writes settings.json (0600, other keys kept) and the policy of the running stack follows', async () => {
    writeFileSync(settingsFile, JSON.stringify({ 'my.own.note': 'keep me', budget: { maxCostUsd: 3 } }));
    const before = await policy();
    const answer = await put({ values: { 'budget.maxTurns': 2, 'models.defaultModel': 'claude-haiku-4-5' } });
    expect(answer.status).toBe(200);
    const view = (await answer.json()) as SettingsView;
    expect(entry(view, 'budget.maxTurns')).toMatchObject({
      value: 2,
      saved: 2,
      source: { kind: 'settings' },
    });
    expect(entry(view, 'budget.maxCostUsd')).toMatchObject({ value: 3, saved: 3 });

    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({
      'my.own.note': 'keep me',
      budget: { maxCostUsd: 3 },
      'budget.maxTurns': 2,
      'models.defaultModel': 'claude-haiku-4-5',
    });
    expect(statSync(settingsFile).mode & 0o777).toBe(0o600);

    // The page's own policy view agrees at once; it is a new version.
    const after = await policy();
    expect(after.version).not.toBe(before.version);
    expect(after.values['budget.maxTurns']).toBe(2);
    expect(after.sources['budget.maxTurns']).toEqual({ kind: 'settings', detail: settingsFile });

    // Every service watches settings.json and reports the new version in its health.
    await eventually(async () => {
      const details = (await (await api('/api/health/details')).json()) as {
        services: Record<string, { report?: { policyVersion: string } }>;
      };
      const versions = Object.values(details.services).map((service) => service.report?.policyVersion);
      return versions.length === 6 && versions.every((version) => version === after.version)
        ? true
        : undefined;
    }, 'every service to run the new policy version');

    // The orchestrator runs new tasks with them: the default model, and the turn budget.
    agent.script.add('[settings-budget]', [
      toolUse('read_file', { path: join(dir, 'a.txt') }),
      toolUse('read_file', { path: join(dir, 'a.txt'), offset: 1 }),
      text('never reached'),
    ]);
    const { id } = await createTask(agent.page, { prompt: '[settings-budget] read twice', folders: [dir] });
    const task = await taskIn(agent.page, id, ['completed', 'failed']);
    expect(task.model).toBe('anthropic:claude-haiku-4-5');
    expect((agent.server.modelRequests.at(-1)?.body as { model?: string }).model).toBe('claude-haiku-4-5');
    expect(task.status).toBe('failed');
    expect(task.error).toBe('stopped: the task reached its limit of 2 model turns');
    expect(agent.script.served('[settings-budget]')).toBe(2);

    // The failure is among the admin view's recent errors, with its reason.
    const failures = (await (await api('/api/admin/failures?limit=5')).json()) as { failures: TaskFailure[] };
    expect(failures.failures[0]).toMatchObject({
      taskId: id,
      status: 'failed',
      error: 'stopped: the task reached its limit of 2 model turns',
      prompt: '[settings-budget] read twice',
    });
  });

  it('null takes a value back out of settings.json', async () => {
    const answer = await put({ values: { 'budget.maxTurns': null } });
    expect(answer.status).toBe(200);
    expect(entry((await answer.json()) as SettingsView, 'budget.maxTurns')).toMatchObject({
      value: 200,
      source: { kind: 'default' },
    });
    const saved = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    expect(saved).not.toHaveProperty('budget.maxTurns');
    expect(saved['my.own.note']).toBe('keep me');
  });

  it('refuses a key the organization set with DENIED_BY_POLICY, writes nothing, and shows it locked', async () => {
    const before = readFileSync(settingsFile, 'utf8');
    const answer = await put({ values: { 'agents.maxSubagentConcurrency': 8, 'budget.maxCostUsd': 4 } });
    expect(answer.status).toBe(403);
    const body = (await answer.json()) as ErrorReply;
    expect(body.error.code).toBe('DENIED_BY_POLICY');
    expect(body.error.details?.fields).toEqual({
      'agents.maxSubagentConcurrency': {
        code: 'DENIED_BY_POLICY',
        message: 'agents.maxSubagentConcurrency is set by your organization',
      },
    });
    expect(readFileSync(settingsFile, 'utf8')).toBe(before);

    // Auto approval is off by the organization's policy, so choosing it as the default is refused too.
    const auto = await put({ values: { 'approvals.defaultMode': 'auto' } });
    expect(auto.status).toBe(403);
    expect(((await auto.json()) as ErrorReply).error.details?.fields?.['approvals.defaultMode']?.code).toBe(
      'DENIED_BY_POLICY',
    );

    const view = await settings();
    expect(entry(view, 'agents.maxSubagentConcurrency')).toMatchObject({ value: 2, locked: true });
    expect((await policy()).managed['agents.maxSubagentConcurrency']).toBe(true);
  });

  it.each([
    ['a wrong type', { 'budget.maxTurns': 'many' }, 'budget.maxTurns'],
    ['a value out of range', { 'budget.maxCostUsd': -3 }, 'budget.maxCostUsd'],
    ['a key the page does not change', { 'telemetry.captureContent': true }, 'telemetry.captureContent'],
    ['a key only the organization sets', { 'approvals.allowAuto': true }, 'approvals.allowAuto'],
    ['an unknown key', { 'no.such.key': 1 }, 'no.such.key'],
    [
      'a model of a provider not configured here',
      { 'models.defaultModel': 'openai:llama3' },
      'models.defaultModel',
    ],
  ])('refuses %s with a typed 400 naming the field', async (_what, values, field) => {
    const before = readFileSync(settingsFile, 'utf8');
    const answer = await put({ values });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as ErrorReply;
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.details?.fields?.[field]?.code).toBe('INVALID_INPUT');
    expect(body.error.details?.fields?.[field]?.message.length).toBeGreaterThan(0);
    expect(readFileSync(settingsFile, 'utf8')).toBe(before);
  });

  it('refuses a malformed body and a bad query with a typed 400', async () => {
    for (const body of [{ values: 'budget.maxTurns=3' }, { values: {} }, { budget: 3 }, [1, 2]]) {
      const answer = await put(body);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as ErrorReply).error.code).toBe('INVALID_INPUT');
    }
    const query = await api('/api/admin/failures?limit=lots');
    expect(query.status).toBe(400);
    expect(((await query.json()) as ErrorReply).error.code).toBe('INVALID_INPUT');
  });

  it('needs the token, like every other route', async () => {
    const anonymous = await fetch(`${agent.stack.url}/api/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ values: { 'budget.maxTurns': 5 } }),
    });
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${agent.stack.url}/api/admin/failures`)).status).toBe(401);
  });

  it('never returns the model key it keeps', async () => {
    const saved = await api('/api/credentials/anthropic', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: SAVED_KEY }),
    });
    expect(saved.status).toBe(204);
    for (const path of [
      '/api/settings',
      '/api/policy',
      '/api/credentials',
      '/api/admin/failures',
      '/api/health/details',
    ]) {
      const answer = await api(path);
      expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      expect(await answer.text()).not.toContain(SAVED_KEY);
    }
    expect(readFileSync(settingsFile, 'utf8')).not.toContain(SAVED_KEY);
    expect(readFileSync(join(agent.stack.home, 'run', 'anthropic-key'), 'utf8').trim()).toBe(SAVED_KEY);
  });
});
