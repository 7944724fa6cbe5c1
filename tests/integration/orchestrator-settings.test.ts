import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusClient } from '@steward/messaging';
import { text, toolUse, type ModelServer } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import type { Stack } from '../support/stack.js';
import { createTask, taskIn } from '../support/tasks.js';

/*
 * The model key saved from the page (no ANTHROPIC_API_KEY in the environment): stored 0600, used
 * by the next task, never sent back or written to a log. And managed budgets stopping a task with
 * a reason the person can read.
 */

const SAVED_KEY = 'sk-ant-saved-from-the-page-4242';

describe('model key from the page, and managed budgets', () => {
  let agent: AgentStack;
  let server: ModelServer;
  let stack: Stack;
  let page: BusClient;
  let script: AgentStack['script'];
  let managed: string;
  let dir: string;

  beforeAll(async () => {
    managed = mkdtempSync(join(tmpdir(), 'steward-managed-budget-'));
    writeFileSync(join(managed, 'managed-settings.json'), JSON.stringify({ 'budget.maxTurns': 3 }), {
      mode: 0o644,
    });
    // The model server wants the key the person will save; the environment has none.
    agent = await startAgentStack({
      apiKey: SAVED_KEY,
      env: () => ({ ANTHROPIC_API_KEY: '', STEWARD_MANAGED_SETTINGS_DIR: managed }),
    });
    ({ server, stack, page, script } = agent);
    dir = agent.folder({ 'a.txt': 'a\n' }, 'steward-settings-');
  }, 180_000);

  afterAll(async () => {
    await agent?.close();
    if (managed) rmSync(managed, { recursive: true, force: true });
  });

  it('fails a task clearly while no key is configured', async () => {
    const status = (await (await stack.api('/api/credentials')).json()) as {
      anthropic: { configured: boolean; source: string };
    };
    expect(status.anthropic).toEqual({ configured: false, source: 'none' });
    script.add('[no-key]', [text('never reached')]);
    const { id } = await createTask(page, { prompt: '[no-key] hello', folders: [dir] });
    const task = await taskIn(page, id, ['failed']);
    expect(task.error).toMatch(/no Anthropic API key is configured/);
    expect(script.served('[no-key]')).toBe(0);
  });

  it('uses a key saved from the page, keeps it 0600, never echoes or logs it', async () => {
    const saved = await stack.api('/api/credentials/anthropic', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: SAVED_KEY }),
    });
    expect(saved.status).toBe(204);
    expect(await saved.text()).not.toContain(SAVED_KEY);
    const status = await (await stack.api('/api/credentials')).text();
    expect(JSON.parse(status)).toEqual({ anthropic: { configured: true, source: 'saved' } });
    expect(status).not.toContain(SAVED_KEY);
    const file = join(stack.home, 'run', 'anthropic-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(SAVED_KEY);

    script.add('[saved-key]', [text('hello with the saved key')]);
    const { id } = await createTask(page, { prompt: '[saved-key] hello', folders: [dir] });
    const task = await taskIn(page, id, ['completed', 'failed']);
    expect(task.answer).toBe('hello with the saved key');
    const sent = server.modelRequests.at(-1);
    expect(sent?.headers['authorization'] ?? sent?.headers['x-api-key']).toContain(SAVED_KEY);

    const logs = readdirSync(join(stack.home, 'logs')).map((name) =>
      readFileSync(join(stack.home, 'logs', name), 'utf8'),
    );
    expect(logs.join('\n')).not.toContain(SAVED_KEY);
    expect(logs.join('\n')).toContain('an Anthropic API key was saved from the page');
  });

  it('stops a task at the managed turn budget with a reason', async () => {
    const read = () =>
      toolUse('read_file', { path: join(dir, 'a.txt'), offset: Math.floor(Math.random() * 1000) });
    script.add('[budget]', [read, read, read, read, text('never reached')]);
    const { id } = await createTask(page, { prompt: '[budget] keep reading', folders: [dir] });
    const task = await taskIn(page, id, ['completed', 'failed']);
    expect(task.status).toBe('failed');
    expect(task.error).toBe('stopped: the task reached its limit of 3 model turns');
    expect(script.served('[budget]')).toBe(3);
  });
});
