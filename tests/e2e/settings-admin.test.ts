import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { closePages, launchBrowser, openSignedIn, type OpenPage } from '../support/browser.js';
import { createTask, taskIn } from '../support/tasks.js';

/*
 * The Settings and Admin views in a real Chromium against the whole stack. The organization's
 * policy (STEWARD_MANAGED_SETTINGS_DIR) caps tasks at one model turn; there is no model key in the
 * environment, so the person saves one from the page.
 */

const API_KEY = 'sk-ant-e2e-MARKER-settings-key-9731';
const SCREENSHOTS = 'tests/.artifacts/screenshots';
const SERVICES = ['ui', 'orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler'];

describe('Settings and Admin, in a real browser', () => {
  let agent: AgentStack;
  let browser: Browser;
  let managed: string;
  const opened: OpenPage[] = [];

  /** A browser signed in through the address `steward up` prints, then at `path`. */
  async function open(path: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<OpenPage> {
    const result = await openSignedIn(browser, agent.stack, path, options);
    opened.push(result);
    return result;
  }

  /** The block of one setting: its label, control, lock and where its value came from. */
  const setting = (page: Page, label: string) =>
    page.locator('.setting').filter({ has: page.getByLabel(label, { exact: true }) });

  beforeAll(async () => {
    managed = mkdtempSync(join(tmpdir(), 'steward-managed-e2e-'));
    const file = join(managed, 'managed-settings.json');
    writeFileSync(file, JSON.stringify({ 'budget.maxTurns': 1 }));
    chmodSync(file, 0o644);
    agent = await startAgentStack({
      apiKey: API_KEY,
      env: () => ({ ANTHROPIC_API_KEY: '', STEWARD_MANAGED_SETTINGS_DIR: managed }),
    });
    browser = await launchBrowser();
  }, 180_000);

  afterEach(async () => {
    await closePages(opened);
    expect(agent.newProblems()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    if (managed) rmSync(managed, { recursive: true, force: true });
  });

  it('is reached from the sidebar', async () => {
    const { page } = await open('/');
    const links = page.getByRole('navigation', { name: 'Steward' });
    await links.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/settings');
    await links.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(await links.getByRole('link', { name: 'Admin' }).getAttribute('aria-current')).toBe('page');
  });

  it('saves the model key without ever showing it, and the next task uses it', async () => {
    const { page } = await open('/settings');
    const status = page.locator('#key-status');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('Not set');
    const field = page.getByLabel('Anthropic API key');
    expect(await field.getAttribute('type')).toBe('password');
    await field.fill(API_KEY);
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('Saved');
    expect(await field.inputValue()).toBe('');
    expect(await page.content()).not.toContain(API_KEY);
    expect(await page.locator('body').innerText()).not.toContain(API_KEY);
    // Where model calls go, read-only, with where that comes from.
    const providers = page.getByRole('table', { name: 'Model providers' });
    expect(await providers.textContent()).toContain(agent.server.url.replace(/\/+$/, ''));
    expect(await providers.textContent()).toContain('environment variable ANTHROPIC_BASE_URL');

    // The saved key is the one the model server now receives.
    agent.script.add('[with-saved-key]', [text('hello')]);
    const dir = agent.folder({ 'a.txt': 'a\n' });
    const { id } = await createTask(agent.page, { prompt: '[with-saved-key] hi', folders: [dir] });
    expect((await taskIn(agent.page, id, ['completed', 'failed'])).status).toBe('completed');
  });

  it('changes a default, keeps it across a reload, and shows the organization’s values locked', async () => {
    const { page } = await open('/settings');
    const cost = page.getByLabel('Cost limit per task (US$)', { exact: true });
    await expect.poll(() => cost.inputValue(), { timeout: 15_000 }).toBe('10');

    // The organization's turn limit: its control is disabled and says who set it.
    const turns = setting(page, 'Turn limit per task');
    expect(await page.getByLabel('Turn limit per task', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Turn limit per task', { exact: true }).inputValue()).toBe('1');
    expect(await turns.textContent()).toContain('set by your organization');
    await page.screenshot({ path: `${SCREENSHOTS}/settings.png`, fullPage: true });

    await cost.fill('2.5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved. New tasks use these values.').waitFor({ timeout: 15_000 });
    expect(await setting(page, 'Cost limit per task (US$)').textContent()).toContain(
      'saved in settings.json',
    );
    const saved = JSON.parse(readFileSync(join(agent.stack.home, 'settings.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(saved['budget.maxCostUsd']).toBe(2.5);

    await page.reload();
    await expect.poll(() => cost.inputValue(), { timeout: 15_000 }).toBe('2.5');
    expect(await page.getByLabel('Turn limit per task', { exact: true }).isDisabled()).toBe(true);
  });

  it('shows a value the server refuses next to its field, and saves nothing', async () => {
    const opened = await open('/settings');
    const { page } = opened;
    opened.expected.push(/status of 400/);
    const subagents = page.getByLabel('Sub-agents at once', { exact: true });
    await expect.poll(() => subagents.inputValue(), { timeout: 15_000 }).toBe('3');
    await subagents.fill('40');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor({ timeout: 15_000 });
    expect(await subagents.getAttribute('aria-invalid')).toBe('true');
    const error = setting(page, 'Sub-agents at once').locator('.field-error');
    expect(await error.textContent()).toMatch(/16/);
    const saved = JSON.parse(readFileSync(join(agent.stack.home, 'settings.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(saved).not.toHaveProperty('agents.maxSubagentConcurrency');

    await page.getByRole('button', { name: 'Discard' }).click();
    expect(await subagents.inputValue()).toBe('3');
    expect(await error.count()).toBe(0);
  });

  it('Admin shows each service’s health, the sandbox, the policy with its sources, and recent errors', async () => {
    // A task the organization's one-turn limit stops: a recent error.
    agent.script.add('[admin-failure]', [
      toolUse('list_directory', { path: agent.folder({ 'b.txt': 'b\n' }) }),
      text('never reached'),
    ]);
    const dir = agent.folder();
    const { id } = await createTask(agent.page, { prompt: '[admin-failure] look around', folders: [dir] });
    const failed = await taskIn(agent.page, id, ['failed', 'completed']);
    expect(failed.status).toBe('failed');

    const { page } = await open('/admin');
    const services = page.getByRole('region', { name: 'Services' });
    for (const service of SERVICES) {
      const row = services
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: service, exact: true }) });
      await expect.poll(() => row.getByRole('cell').nth(1).textContent(), { timeout: 15_000 }).toBe('ok');
    }
    const sandbox = page.getByRole('region', { name: 'Sandbox' });
    await expect.poll(() => sandbox.textContent(), { timeout: 15_000 }).toMatch(/Runtime(docker|bubblewrap)/);

    const policy = page.getByRole('table', { name: 'Policy in force' });
    const row = (key: string) =>
      policy.getByRole('row').filter({ has: page.getByRole('rowheader', { name: key }) });
    await row('budget.maxTurns').waitFor({ timeout: 15_000 });
    expect(await row('budget.maxTurns').textContent()).toMatch(/1Organizationset by your organization/);
    expect(await row('budget.maxCostUsd').textContent()).toContain('Your settings');
    expect(await row('budget.maxCostUsd').textContent()).toContain('2.5');
    expect(await row('sandbox.network').textContent()).toContain('Default');

    const errors = page.getByRole('list', { name: 'Recent errors' });
    await expect
      .poll(() => errors.textContent(), { timeout: 15_000 })
      .toContain('stopped: the task reached its limit of 1 model turns');
    await errors.getByRole('link', { name: '[admin-failure] look around' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/admin.png`, fullPage: true });

    await errors.getByRole('link', { name: '[admin-failure] look around' }).click();
    await page.waitForURL(new RegExp(`/tasks/${id}$`));
  });

  it('says when a view cannot load, and loads on Try again', async () => {
    const unavailable = {
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'UNAVAILABLE', message: 'the orchestrator did not answer', retryable: true },
      }),
    };
    const settings = await open('/');
    settings.expected.push(/status of 503/);
    await settings.page.route('**/api/settings', (route) => route.fulfill(unavailable));
    await settings.page.goto(`${agent.stack.url}/settings`);
    const alert = settings.page.getByRole('alert').filter({ hasText: 'Settings could not be loaded' });
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toContain('the orchestrator did not answer');
    await settings.page.unroute('**/api/settings');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await settings.page.getByLabel('Cost limit per task (US$)', { exact: true }).waitFor({ timeout: 15_000 });

    const admin = await open('/');
    admin.expected.push(/status of 503/);
    await admin.page.route('**/api/admin/failures*', (route) => route.fulfill(unavailable));
    await admin.page.goto(`${agent.stack.url}/admin`);
    const failures = admin.page.getByRole('alert').filter({ hasText: 'Failed tasks could not be loaded' });
    await failures.waitFor({ timeout: 15_000 });
    // The rest of the view still shows what it could load.
    await admin.page.getByRole('table', { name: 'Policy in force' }).waitFor({ timeout: 15_000 });
    await admin.page.unroute('**/api/admin/failures*');
    await failures.getByRole('button', { name: 'Try again' }).click();
    await expect
      .poll(() =>
        admin.page.getByRole('alert').filter({ hasText: 'Failed tasks could not be loaded' }).count(),
      )
      .toBe(0);
    await admin.page.getByRole('list', { name: 'Recent errors' }).waitFor();
  });

  it('both views read in the dark theme and on a smaller laptop screen', async () => {
    for (const view of ['settings', 'admin'] as const) {
      const { page } = await open(`/${view}`, { colorScheme: 'dark' });
      await page.setViewportSize({ width: 1280, height: 720 });
      await page
        .getByRole('heading', { name: view === 'settings' ? 'Settings' : 'Admin', level: 1 })
        .waitFor();
      if (view === 'settings') await page.getByLabel('Cost limit per task (US$)', { exact: true }).waitFor();
      else await page.getByRole('table', { name: 'Policy in force' }).waitFor({ timeout: 15_000 });
      const background = await page
        .locator('body')
        .evaluate((body) => body.ownerDocument.defaultView?.getComputedStyle(body).backgroundColor);
      expect(background).toBe('rgb(13, 17, 23)');
      // Nothing spills sideways out of the page.
      expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: `${SCREENSHOTS}/${view}-dark.png`, fullPage: true });
    }
  });
});
