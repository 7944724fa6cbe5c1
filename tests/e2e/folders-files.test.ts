import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { reply, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { closePages, launchBrowser, openSignedIn, type OpenPage } from '../support/browser.js';
import { createTask } from '../support/tasks.js';

/*
 * The composer's folder dialog and the task's file chips in a real Chromium against the whole
 * stack (the model is the local server speaking the Messages API, scripted by a marker).
 */

const API_KEY = 'sk-ant-folders-files-test-key';
const SCREENSHOTS = 'tests/.artifacts/screenshots';

describe('choosing a folder and getting at the files a task changed, in a real browser', () => {
  let agent: AgentStack;
  let browser: Browser;
  const opened: OpenPage[] = [];

  /** A browser signed in through the address `steward up` prints, then at `path`. */
  async function open(path = '/'): Promise<OpenPage> {
    const result = await openSignedIn(browser, agent.stack, path, { acceptDownloads: true });
    opened.push(result);
    return result;
  }

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

  it('the browse dialog navigates into a subfolder and fills the Folder box; Esc closes it', async () => {
    const dir = agent.folder({ 'reports/q1/summary.txt': 'q1\n', 'archive/old.txt': 'old\n' });
    mkdirSync(join(dir, '.cache'));
    const { page } = await open();
    const folderBox = page.getByRole('textbox', { name: 'Folder' });
    await folderBox.fill(dir);
    await page.getByRole('button', { name: 'Browse…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Choose a folder' });
    await dialog.waitFor();
    const list = dialog.getByRole('listbox', { name: 'Folders' });
    await expect.poll(() => list.getByRole('option').allTextContents()).toEqual(['▸archive', '▸reports']);
    expect(await dialog.getByRole('navigation', { name: 'Folder path' }).textContent()).toContain(
      dir.split('/').pop(),
    );
    // Hidden folders only on request.
    await dialog.getByRole('checkbox', { name: 'Show hidden folders' }).check();
    await expect
      .poll(() => list.getByRole('option').allTextContents())
      .toEqual(['▸.cache', '▸archive', '▸reports']);
    await dialog.getByRole('checkbox', { name: 'Show hidden folders' }).uncheck();
    await page.screenshot({ path: `${SCREENSHOTS}/folder-dialog.png` });

    // The keyboard alone: the list has focus, ↓ moves to "reports", Enter opens it.
    await list.focus();
    await page.keyboard.press('ArrowDown');
    expect(await list.getByRole('option', { selected: true }).textContent()).toBe('▸reports');
    await page.keyboard.press('Enter');
    await expect.poll(() => list.getByRole('option').allTextContents()).toEqual(['▸q1']);
    const here = dialog.locator('[aria-current="location"]');
    expect(await here.textContent()).toBe('reports');
    // Backspace goes up, the breadcrumb leads back down.
    await page.keyboard.press('Backspace');
    await expect.poll(() => here.textContent()).toBe(dir.split('/').pop());
    await list.getByRole('option', { name: 'reports' }).click();
    await expect.poll(() => here.textContent()).toBe('reports');

    await dialog.getByRole('button', { name: 'Choose this folder' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await folderBox.inputValue()).toBe(join(dir, 'reports'));
    // Focus goes back where it was: the Browse button.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Browse…');

    // Esc closes it and leaves the box as it was.
    await page.getByRole('button', { name: 'Browse…' }).click();
    await dialog.waitFor();
    await expect.poll(() => list.getByRole('option').allTextContents()).toEqual(['▸q1']);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await folderBox.inputValue()).toBe(join(dir, 'reports'));
  });

  it("shows the task's files as chips that open or download them, names rendered inert", async () => {
    const hostileName = '<img src=x onerror=alert(1)><script>alert(2)<script>.txt';
    const dir = agent.folder();
    const workbook = Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(5 * 1024 * 1024 + 333)]);
    writeFileSync(join(dir, 'budget.xlsx'), workbook);
    const summary = 'Quarter summary\nRevenue: 12% up\n';
    agent.script.add('[chips]', [
      reply([
        text('Writing the summary and filing the workbook.'),
        toolUse('write_file', { path: join(dir, 'summary.txt'), content: summary }),
        toolUse('write_file', { path: join(dir, hostileName), content: 'inert\n' }),
        toolUse('move_path', { from: join(dir, 'budget.xlsx'), to: join(dir, 'budget-final.xlsx') }),
      ]),
      text('Done.'),
    ]);
    const { id } = await createTask(agent.page, {
      prompt: '[chips] Summarize and file',
      folders: [dir],
      approvalMode: 'auto',
    });
    const { page, context } = await open(`/tasks/${id}`);
    await expect
      .poll(() => page.getByLabel('Task status').textContent(), { timeout: 30_000 })
      .toBe('Completed');

    const files = page.getByRole('region', { name: 'Files' });
    await files.getByRole('link', { name: 'Download budget-final.xlsx' }).waitFor({ timeout: 10_000 });
    expect(await files.getByRole('list').getByRole('listitem').count()).toBe(3);

    // A workbook downloads, byte for byte.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      files.getByRole('link', { name: 'Download budget-final.xlsx' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('budget-final.xlsx');
    expect(readFileSync(await download.path()).equals(workbook)).toBe(true);

    // Text opens in a new tab, as text.
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      files.getByRole('link', { name: 'Open summary.txt' }).click(),
    ]);
    await tab.waitForLoadState();
    expect((await tab.locator('body').innerText()).trim()).toBe(summary.trim());
    await tab.close();

    // The hostile name is a chip's text and nothing else.
    const hostile = files.getByRole('link', { name: `Open ${hostileName}` });
    expect(await hostile.textContent()).toBe(hostileName);
    expect(await page.locator('img, iframe, object').count()).toBe(0);
    expect(
      await page.locator('script').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('src'))),
    ).toEqual(['/assets/app.js']);
    const [hostileTab] = await Promise.all([context.waitForEvent('page'), hostile.click()]);
    await hostileTab.waitForLoadState();
    expect((await hostileTab.locator('body').innerText()).trim()).toBe('inert');
    await hostileTab.close();
    await page.screenshot({ path: `${SCREENSHOTS}/file-chips.png` });
  });
});
