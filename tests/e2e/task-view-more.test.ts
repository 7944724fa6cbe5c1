import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { reply, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { closePages, launchBrowser, openSignedIn, type OpenPage } from '../support/browser.js';
import { taskIn } from '../support/tasks.js';

/*
 * More of the task view in a real Chromium against the whole stack (real orchestrator, real
 * sandbox, the local model server scripted per task by a marker in its prompt): live command
 * output, "allow for the rest of this task", undo, the sidebar's approval badge, markdown answers,
 * sub-tasks and the theme choice.
 */

const API_KEY = 'sk-ant-task-view-more-test-key';
const SCREENSHOTS = 'tests/.artifacts/screenshots';

describe('the task view, more of it, in a real browser', () => {
  let agent: AgentStack;
  let browser: Browser;
  const opened: OpenPage[] = [];

  /** A browser signed in through the address `steward up` prints, then at `path`. */
  async function open(path = '/', options: { colorScheme?: 'light' | 'dark' } = {}): Promise<OpenPage> {
    const result = await openSignedIn(browser, agent.stack, path, options);
    opened.push(result);
    return result;
  }

  /** Starts a task from the composer and waits for its page. */
  async function start(
    page: Page,
    prompt: string,
    folder: string,
    mode: 'ask' | 'auto' = 'ask',
  ): Promise<string> {
    await page.getByRole('textbox', { name: 'Task' }).fill(prompt);
    await page.getByRole('textbox', { name: 'Folder' }).fill(folder);
    await page.getByLabel('Approvals').selectOption(mode);
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/[A-Za-z0-9_-]+$/);
    return new URL(page.url()).pathname.split('/').pop() ?? '';
  }

  const status = (page: Page) => page.getByLabel('Task status');
  const completed = (page: Page) =>
    expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toBe('Completed');

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

  it('shows what a command prints while it runs, then its result', async () => {
    const dir = agent.folder();
    agent.script.add('[live]', [
      reply(toolUse('run_command', { command: 'for i in 1 2 3 4; do echo "tick $i"; sleep 1; done' })),
      text('Counted to four.'),
    ]);
    const { page } = await open();
    await start(page, '[live] Count to four slowly', dir, 'auto');

    // The group opens by itself; the first line shows while the command is still going.
    const output = page.getByRole('log', { name: 'Command output' });
    await expect.poll(() => output.textContent(), { timeout: 30_000 }).toContain('tick 1');
    const early = (await output.textContent()) ?? '';
    expect(early).not.toContain('tick 4');
    expect(await page.locator('details.tools summary').textContent()).toBe('Running 1 command');
    expect(await status(page).textContent()).toBe('Running');
    await page.screenshot({ path: `${SCREENSHOTS}/live-output.png` });

    await completed(page);
    expect(((await output.textContent()) ?? '').split('\n').filter(Boolean)).toEqual([
      'tick 1',
      'tick 2',
      'tick 3',
      'tick 4',
    ]);
    expect(await page.locator('details.tools summary').textContent()).toBe('Ran 1 command');
    expect(await page.locator('.call .result').textContent()).not.toBe('');
    await page.getByText('Counted to four.').waitFor();
  });

  it('"Allow for the rest of this task" lets the next command of that program run without asking', async () => {
    const dir = agent.folder();
    agent.script.add('[remember]', [
      reply(toolUse('run_command', { command: 'echo first' })),
      reply(toolUse('run_command', { command: 'echo second' })),
      text('Both ran.'),
    ]);
    const { page } = await open();
    const id = await start(page, '[remember] Echo twice', dir);

    const approval = page.getByRole('region', { name: 'Approval: run_command' });
    await approval.waitFor({ timeout: 30_000 });
    expect(await approval.getByLabel('Command').textContent()).toBe('echo first');
    expect(await approval.textContent()).toContain('later commands that start with echo run without asking');
    expect(await approval.textContent()).toMatch(/Answer within \d+:\d\d/);
    await approval.getByRole('button', { name: 'Allow for the rest of this task' }).click();

    await completed(page);
    await page.getByText('Both ran.').waitFor();
    expect(await page.getByRole('region', { name: /^Approval:/ }).count()).toBe(1);
    const task = await taskIn(agent.page, id, ['completed']);
    expect(task.approvals.map((approval) => approval.status)).toEqual(['allowed']);
    expect(task.toolCalls.map((call) => [call.status, call.decisionSource])).toEqual([
      ['done', 'person'],
      ['done', 'rule'],
    ]);
  });

  it('undoes a finished task’s file change on disk, after showing what it would put back', async () => {
    const dir = agent.folder({ 'notes.txt': 'old\n' });
    const notes = join(dir, 'notes.txt');
    agent.script.add('[undo]', [
      reply(toolUse('write_file', { path: notes, content: 'new\n' })),
      text('Rewrote the notes.'),
    ]);
    const { page } = await open();
    await start(page, '[undo] Rewrite the notes', dir, 'auto');
    await completed(page);
    expect(readFileSync(notes, 'utf8')).toBe('new\n');

    // Esc closes the dialog and changes nothing.
    await page.getByRole('button', { name: 'Undo changes' }).click();
    const dialog = page.getByRole('dialog', { name: 'Undo this task’s changes?' });
    const steps = dialog.getByRole('list', { name: 'Changes to undo' });
    await expect.poll(() => steps.textContent(), { timeout: 15_000 }).toContain(notes);
    expect(await steps.textContent()).toContain('would restore the earlier content');
    await page.screenshot({ path: `${SCREENSHOTS}/undo.png` });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(readFileSync(notes, 'utf8')).toBe('new\n');

    await page.getByRole('button', { name: 'Undo changes' }).click();
    await expect.poll(() => steps.textContent(), { timeout: 15_000 }).toContain(notes);
    await dialog.getByRole('button', { name: 'Undo', exact: true }).click();
    const result = page.getByRole('region', { name: 'Undo result' });
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toContain('Undone: 1 change.');
    expect(await dialog.isVisible()).toBe(false);
    expect(readFileSync(notes, 'utf8')).toBe('old\n');
  });

  it('shows a badge on the sidebar entry of a task waiting for an approval', async () => {
    const dir = agent.folder();
    agent.script.add('[badge]', [
      reply([text('Writing the file.'), toolUse('write_file', { path: join(dir, 'a.txt'), content: 'a\n' })]),
      text('Not written, as you asked.'),
    ]);
    const { page } = await open();
    await start(page, '[badge] Write a.txt', dir);

    const entry = page
      .getByRole('navigation', { name: 'Recent tasks' })
      .getByRole('link', { name: /\[badge\] Write a\.txt/ });
    const badge = entry.locator('.entry-badge');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe('1 approval to answer');
    await page.getByRole('link', { name: '1 approval waiting' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/approval-badge.png` });

    await page
      .getByRole('region', { name: 'Approval: write_file' })
      .getByRole('button', { name: 'Deny' })
      .click();
    await completed(page);
    await expect.poll(() => badge.count(), { timeout: 10_000 }).toBe(0);
  });

  it('renders the answer’s markdown, a heading and a list, while markup in it stays text', async () => {
    const dir = agent.folder();
    const hostile = '<img src=x onerror=alert(1)>';
    agent.script.add('[markdown]', [
      text(
        `# Quarterly report\n\n- revenue up\n- costs **flat**\n\nSee ${hostile} and [the site](https://example.com/q3).`,
      ),
    ]);
    const { page } = await open();
    await start(page, '[markdown] Report on the quarter', dir);
    await completed(page);

    const conversation = page.getByRole('list', { name: 'Conversation' });
    await conversation.getByRole('heading', { name: 'Quarterly report' }).waitFor();
    const answer = conversation.locator('.bubble.assistant');
    expect(await answer.getByRole('listitem').allTextContents()).toEqual(['revenue up', 'costs flat']);
    expect(await answer.locator('strong').textContent()).toBe('flat');
    expect(await answer.getByText(`See ${hostile} and the site.`).isVisible()).toBe(true);
    expect(await page.locator('img').count()).toBe(0);
    const link = answer.getByRole('link', { name: 'the site' });
    expect(await link.getAttribute('href')).toBe('https://example.com/q3');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('lists sub-tasks as links, counts their approvals on the parent, and links back', async () => {
    const dir = agent.folder();
    agent.script.add('[parent]', [
      reply(
        toolUse('spawn_subagents', {
          tasks: [{ description: 'Write the tally', prompt: '[child] Write tally.txt with the number 3' }],
        }),
      ),
      text('The sub-task wrote the tally.'),
    ]);
    agent.script.add('[child]', [
      reply(toolUse('write_file', { path: join(dir, 'tally.txt'), content: '3\n' })),
      text('Wrote tally.txt.'),
    ]);
    const { page } = await open();
    await start(page, '[parent] Make a tally', dir);

    const link = page
      .getByRole('list', { name: 'Conversation' })
      .getByRole('link', { name: 'Write the tally' });
    await link.waitFor({ timeout: 30_000 });
    const subtasks = page.getByRole('region', { name: 'Sub-tasks' });
    await subtasks.getByRole('link', { name: 'Write the tally' }).waitFor();
    // The sub-task waits for its write: the parent's sidebar entry counts it.
    const entry = page
      .getByRole('navigation', { name: 'Recent tasks' })
      .getByRole('link', { name: /\[parent\] Make a tally/ });
    await expect
      .poll(() => entry.locator('.entry-badge').textContent(), { timeout: 30_000 })
      .toBe('1 approval to answer');

    await link.click();
    await page.getByRole('region', { name: 'Approval: write_file' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await completed(page);
    expect(readFileSync(join(dir, 'tally.txt'), 'utf8')).toBe('3\n');

    await page.getByRole('link', { name: '[parent] Make a tally', exact: true }).click();
    await completed(page);
    await page.getByText('The sub-task wrote the tally.').waitFor();
    await expect.poll(() => subtasks.textContent(), { timeout: 10_000 }).toContain('Completed');
  });

  it('switches to the dark theme from the sidebar and remembers it', async () => {
    const { page } = await open('/', { colorScheme: 'light' });
    const background = (): Promise<unknown> =>
      page.evaluate('getComputedStyle(document.body).backgroundColor');
    await page.getByRole('radiogroup', { name: 'Theme' }).waitFor();
    expect(await background()).toBe('rgb(255, 255, 255)');

    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await background()).toBe('rgb(13, 17, 23)');
    await page.reload();
    await page.getByRole('radio', { name: 'Dark' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Dark' }).isChecked()).toBe(true);
    expect(await background()).toBe('rgb(13, 17, 23)');

    await page.getByRole('radio', { name: 'System' }).check();
    expect(await page.locator('html').getAttribute('data-theme')).toBeNull();
    expect(await background()).toBe('rgb(255, 255, 255)');
  });

  it('a task with a plan, tool groups and an approval, in light and dark (README screenshots)', async () => {
    const dir = agent.folder({
      'q3.md': '# Q3\nrevenue 120\ncosts 80\n',
      'q2.md': '# Q2\nrevenue 100\ncosts 80\n',
    });
    agent.script.add('[showcase]', [
      reply([
        text('I will compare the two quarters, then write a short summary.'),
        toolUse('todo_write', {
          todos: [
            { content: 'Read the Q2 and Q3 notes', status: 'completed' },
            { content: 'Compare revenue and costs', status: 'in_progress' },
            { content: 'Write summary.md', status: 'pending' },
          ],
        }),
        toolUse('read_file', { path: join(dir, 'q2.md') }),
        toolUse('read_file', { path: join(dir, 'q3.md') }),
        toolUse('scratchpad_write', { content: '## Notes\n- Q2 revenue **100**\n- Q3 revenue **120**' }),
      ]),
      reply([
        text(
          '## Findings\n\n- Revenue rose from 100 to **120** (+20%).\n- Costs stayed at 80.\n\nWriting it down:',
        ),
        toolUse('write_file', { path: join(dir, 'summary.md'), content: '# Summary\nRevenue +20%.\n' }),
      ]),
      text('Done: summary.md says revenue rose by 20% while costs stayed flat.'),
    ]);
    const { page } = await open();
    const id = await start(page, '[showcase] Compare Q2 and Q3 and write a summary', dir);
    const approval = page.getByRole('region', { name: 'Approval: write_file' });
    await approval.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByRole('region', { name: 'Progress' }).textContent()).toContain('1 of 3');
    await page.screenshot({ path: `${SCREENSHOTS}/task-view-approval.png` });

    const dark = await open(`/tasks/${id}`, { colorScheme: 'dark' });
    await dark.page.getByRole('region', { name: 'Approval: write_file' }).waitFor({ timeout: 15_000 });
    await dark.page.screenshot({ path: `${SCREENSHOTS}/task-view-approval-dark.png` });

    await approval.getByRole('button', { name: 'Allow', exact: true }).click();
    await completed(page);
    await page.locator('details.tools summary').first().click();
    await page.screenshot({ path: `${SCREENSHOTS}/task-view-done.png` });

    // On a laptop screen the rail folds under the conversation instead of squeezing it.
    const rail = page.getByRole('complementary', { name: 'About this task' });
    const conversation = page.getByRole('list', { name: 'Conversation' });
    const beside = [await rail.boundingBox(), await conversation.boundingBox()];
    expect(beside[0]!.x).toBeGreaterThan(beside[1]!.x + beside[1]!.width - 1);
    await page.setViewportSize({ width: 1024, height: 720 });
    await expect
      .poll(async () => (await rail.boundingBox())!.y)
      .toBeGreaterThan(
        (await conversation.boundingBox())!.y + (await conversation.boundingBox())!.height - 1,
      );
    expect((await conversation.boundingBox())!.width).toBeGreaterThan(600);
    await page.screenshot({ path: `${SCREENSHOTS}/task-view-laptop.png` });
  });
});
