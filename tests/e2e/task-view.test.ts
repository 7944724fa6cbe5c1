import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { reply, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { closePages, launchBrowser, openSignedIn, type OpenPage } from '../support/browser.js';
import { createTask, eventually } from '../support/tasks.js';

/*
 * The task view in a real Chromium against the whole stack: the orchestrator is real, the model
 * is the local server speaking the Messages API, scripted per task by a marker in its prompt.
 */

const API_KEY = 'sk-ant-task-view-test-key';
const SCREENSHOTS = 'tests/.artifacts/screenshots';

describe('the task view, in a real browser', () => {
  let agent: AgentStack;
  let browser: Browser;
  const opened: OpenPage[] = [];

  /** A browser signed in through the address `steward up` prints, then at `path`. */
  async function open(path = '/', options: { colorScheme?: 'light' | 'dark' } = {}): Promise<OpenPage> {
    const result = await openSignedIn(browser, agent.stack, path, options);
    opened.push(result);
    return result;
  }

  const status = (page: Page) => page.getByLabel('Task status');
  const taskIdOf = (page: Page): string => new URL(page.url()).pathname.split('/').pop() ?? '';

  beforeAll(async () => {
    agent = await startAgentStack({ apiKey: API_KEY });
    browser = await launchBrowser();
  }, 180_000);

  afterEach(async () => {
    await closePages(opened);
    expect(agent.newProblems()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
  });

  it('starts a task from the composer and shows the answer while it is being written', async () => {
    const dir = agent.folder({ 'notes.md': '# Notes\n- revenue up 12%\n- costs flat\n' });
    const answer =
      'Here is the summary of your notes. Revenue went up by twelve percent over the quarter, ' +
      'while costs stayed flat, so the margin improved. Nothing else in the notes needs your attention.';
    agent.script.add('[stream]', [
      reply(text(answer), { chunkDelayMs: 120 }),
      text('The margin rose by about 3 points.'),
    ]);
    const { page } = await open();
    // The first run teaches: connect a folder, describe an outcome, with examples to start from.
    await page.getByRole('heading', { name: 'Connect a folder and describe an outcome' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/new-task.png` });

    await page.getByRole('textbox', { name: 'Task' }).fill('[stream] Summarize my notes');
    await page.getByRole('textbox', { name: 'Folder' }).fill(dir);
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/[A-Za-z0-9_-]+$/);

    // Part of the answer shows before the whole of it has arrived.
    const streaming = page.locator('.bubble.streaming .text');
    await streaming.waitFor({ timeout: 30_000 });
    const partial = (await streaming.textContent()) ?? '';
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(answer.length);
    expect(answer.startsWith(partial)).toBe(true);

    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');
    expect(await page.locator('.bubble.assistant .text').allTextContents()).toEqual([answer]);
    expect(await page.locator('.bubble.streaming').count()).toBe(0);
    expect(await page.locator('.bubble.user .text').allTextContents()).toEqual([
      '[stream] Summarize my notes',
    ]);
    // The sidebar lists the task with its status; the rail names the model and what it cost.
    const recent = page.getByRole('navigation', { name: 'Recent tasks' });
    await expect.poll(() => recent.textContent()).toContain('[stream] Summarize my notes');
    await expect.poll(() => recent.textContent()).toContain('Completed');
    const context = page.getByRole('region', { name: 'Context' });
    expect(await context.textContent()).toContain('claude-sonnet-4-6');
    expect(await context.textContent()).toMatch(/\d+ in · \d+ out/);

    // A finished task continues with a message: it runs again and answers below.
    await page.getByRole('textbox', { name: 'Message' }).fill('And the margin?');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await page.getByText('The margin rose by about 3 points.').waitFor({ timeout: 30_000 });
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');
    expect(await page.locator('.bubble .text').allTextContents()).toEqual([
      '[stream] Summarize my notes',
      answer,
      'And the margin?',
      'The margin rose by about 3 points.',
    ]);
  });

  it('asks before a delete, listing the file; Allow deletes it', async () => {
    const dir = agent.folder({ 'old-draft.txt': 'draft\n', 'keep.txt': 'keep\n' });
    const target = join(dir, 'old-draft.txt');
    agent.script.add('[delete]', [
      reply([text('The old draft is not needed any more.'), toolUse('delete_path', { path: target })]),
      text('Deleted the old draft.'),
    ]);
    const { id } = await createTask(agent.page, { prompt: '[delete] Remove the old draft', folders: [dir] });
    const { page } = await open(`/tasks/${id}`);

    const approval = page.getByRole('region', { name: 'Approval: delete_path' });
    await approval.waitFor({ timeout: 30_000 });
    expect(
      await approval.getByRole('list', { name: 'Files to delete' }).getByRole('listitem').allTextContents(),
    ).toEqual([target]);
    await expect.poll(() => status(page).textContent()).toBe('Waiting for approval');
    // The sidebar's badge counts tasks waiting for an answer.
    await page.getByRole('link', { name: '1 approval waiting' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('details.tools summary').textContent()).toBe('Deleting 1 item');
    await page.screenshot({ path: `${SCREENSHOTS}/approval.png` });
    expect(existsSync(target)).toBe(true);

    await approval.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(dir, 'keep.txt'))).toBe(true);
    expect(await page.locator('details.tools summary').textContent()).toBe('Deleted 1 item');
    expect(await approval.textContent()).toContain('Allowed');
    expect(await approval.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('list', { name: 'Files changed' }).textContent()).toBe('old-draft.txt');
    expect(await page.getByRole('link', { name: /approval waiting/ }).count()).toBe(0);
  });

  it('shows progress from the todos: the Progress region reads "2 of 2"', async () => {
    const dir = agent.folder({ 'a.txt': 'a\n' });
    agent.script.add('[progress]', [
      reply([
        text('Planning the work.'),
        toolUse('todo_write', {
          todos: [
            { content: 'Read a.txt', status: 'in_progress' },
            { content: 'Report what it says', status: 'pending' },
          ],
        }),
        toolUse('read_file', { path: join(dir, 'a.txt') }),
      ]),
      reply(
        toolUse('todo_write', {
          todos: [
            { content: 'Read a.txt', status: 'completed' },
            { content: 'Report what it says', status: 'completed' },
          ],
        }),
      ),
      text('a.txt says "a".'),
    ]);
    const { page } = await open();
    await page.getByRole('textbox', { name: 'Task' }).fill('[progress] What does a.txt say?');
    await page.getByRole('textbox', { name: 'Folder' }).fill(dir);
    await page.getByRole('button', { name: 'Start task' }).click();

    const progress = page.getByRole('region', { name: 'Progress' });
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toContain('2 of 2');
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');
    // Tool calls of consecutive turns read as one collapsed line, opened on demand.
    const group = page.locator('details.tools').first();
    expect(await group.locator('summary').textContent()).toBe('Updated the plan, read 1 file');
    expect(await group.locator('.call').first().isVisible()).toBe(false);
    await group.locator('summary').click();
    expect(await group.locator('.call').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(join(dir, 'a.txt'))]),
    );
    await page.screenshot({ path: `${SCREENSHOTS}/task-view.png` });

    const dark = await open(`/tasks/${taskIdOf(page)}`, { colorScheme: 'dark' });
    await expect
      .poll(() => dark.page.getByRole('region', { name: 'Progress' }).textContent(), { timeout: 15_000 })
      .toContain('2 of 2');
    await dark.page.screenshot({ path: `${SCREENSHOTS}/task-view-dark.png` });
  });

  it('cancels a running task', async () => {
    const dir = agent.folder();
    agent.script.add('[cancel]', [
      reply(toolUse('run_command', { command: 'sleep 60' })),
      (request) => {
        throw new Error(`the command ended by itself: ${JSON.stringify(request.toolResults)}`);
      },
    ]);
    const { page } = await open();
    await page.getByRole('textbox', { name: 'Task' }).fill('[cancel] Wait a minute');
    await page.getByRole('textbox', { name: 'Folder' }).fill(dir);
    await page.getByLabel('Approvals').selectOption('auto');
    await page.getByRole('button', { name: 'Start task' }).click();

    await page.locator('details.tools .spinner').waitFor({ timeout: 30_000 });
    expect(await page.locator('details.tools summary').textContent()).toBe('Running 1 command');
    expect(await status(page).textContent()).toBe('Running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Cancelled');
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect(await page.locator('details.tools .spinner').count()).toBe(0);
  });

  it('a reload in the middle of a task shows everything so far, then the rest', async () => {
    const dir = agent.folder({ 'notes.md': 'revenue up 12%\n' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    agent.script.add('[reload]', [
      reply([text('Step one: reading the notes.'), toolUse('read_file', { path: join(dir, 'notes.md') })]),
      async () => {
        await released;
        return reply(text('Step two: revenue is up 12%.'), { chunkDelayMs: 20 });
      },
      text('Step three: costs were not in the notes.'),
    ]);
    const { id } = await createTask(agent.page, { prompt: '[reload] Summarize the notes', folders: [dir] });
    const { page } = await open(`/tasks/${id}`);
    await page.getByText('Step one: reading the notes.').waitFor({ timeout: 30_000 });
    await eventually(
      async () => (agent.script.served('[reload]') === 2 ? true : undefined),
      'the second turn',
    );
    await page.getByRole('textbox', { name: 'Message' }).fill('Also mention the costs.');
    await page.getByRole('button', { name: 'Send' }).click();
    const conversation = page.getByRole('list', { name: 'Conversation' });
    await conversation.getByText('Also mention the costs.').waitFor();

    await page.reload();
    await expect
      .poll(() => conversation.locator('.bubble .text').allTextContents(), { timeout: 15_000 })
      .toEqual(['[reload] Summarize the notes', 'Step one: reading the notes.', 'Also mention the costs.']);
    expect(await conversation.locator('details.tools summary').allTextContents()).toEqual(['Read 1 file']);
    expect(await status(page).textContent()).toBe('Running');

    release();
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');
    const texts = await conversation.locator('.bubble .text').allTextContents();
    expect(texts.slice(0, 4)).toEqual([
      '[reload] Summarize the notes',
      'Step one: reading the notes.',
      'Also mention the costs.',
      'Step two: revenue is up 12%.',
    ]);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('refuses API calls without the token or the session cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(agent.stack.url);
    await page.locator('#signin').waitFor();
    const answers = await page.evaluate(async () => {
      const list = await fetch('/api/tasks');
      const start = await fetch('/api/tasks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x', folders: ['/tmp'] }),
      });
      return [list.status, start.status, (await list.json()) as unknown];
    });
    expect(answers).toEqual([401, 401, { error: expect.objectContaining({ code: 'UNAUTHORIZED' }) }]);
    expect(await page.getByRole('button', { name: 'Start task' }).isDisabled()).toBe(true);
    await context.close();
  });

  it('renders markup in a file name and in the model’s answer as text', async () => {
    const name = '<img src=x onerror=alert(1)>.txt';
    const dir = agent.folder({ [name]: 'boo\n' });
    const hostile = 'Found <script>alert(2)</script> and <img src=x onerror=alert(3)> in the folder.';
    agent.script.add('[markup]', [
      reply([text(hostile), toolUse('delete_path', { path: join(dir, name) })]),
      text(`Removed ${name} <b onmouseover=alert(4)>done</b>`),
    ]);
    const { page } = await open();
    await page.getByRole('textbox', { name: 'Folder' }).fill(dir);
    const prompt = page.getByRole('textbox', { name: 'Task' });
    await prompt.fill('[markup] Tidy up <i>this</i> folder');
    await prompt.press('Enter');

    const approval = page.getByRole('region', { name: 'Approval: delete_path' });
    await approval.waitFor({ timeout: 30_000 });
    expect(await approval.getByRole('listitem').allTextContents()).toEqual([join(dir, name)]);
    await approval.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');

    expect(await page.getByText(hostile, { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText(`Removed ${name} <b onmouseover=alert(4)>done</b>`).isVisible()).toBe(true);
    expect(await page.getByRole('list', { name: 'Files changed' }).textContent()).toBe(name);
    expect(await page.getByRole('navigation', { name: 'Recent tasks' }).textContent()).toContain(
      '[markup] Tidy up <i>this</i> folder',
    );
    // Nothing from the model or the files became an element: no images, no scripts but the page's own.
    expect(await page.locator('img, b, i, iframe, object').count()).toBe(0);
    expect(
      await page.locator('script').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('src'))),
    ).toEqual(['/assets/app.js']);
    expect(
      await page
        .locator('a')
        .evaluateAll((links) => links.every((a) => a.getAttribute('href')?.startsWith('/'))),
    ).toBe(true);
  });
});
