import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ProjectView, TaskView } from '@steward/contracts';
import { text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { closePages, launchBrowser, openSignedIn, type OpenPage } from '../support/browser.js';
import { eventually, taskIn } from '../support/tasks.js';

/*
 * Projects on the page in a real Chromium against the whole stack: the orchestrator keeps them,
 * the model is the local server speaking the Messages API, scripted by a marker in the prompt.
 */

const API_KEY = 'sk-ant-projects-e2e-test-key';
const SCREENSHOTS = 'tests/.artifacts/screenshots';

describe('projects, in a real browser', () => {
  let agent: AgentStack;
  let browser: Browser;
  const opened: OpenPage[] = [];

  /** A browser signed in through the address `steward up` prints, then at `path`. */
  async function open(path: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<OpenPage> {
    const result = await openSignedIn(browser, agent.stack, path, options);
    opened.push(result);
    return result;
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await agent.stack.api(path, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    expect(response.ok, `${method} ${path}`).toBe(true);
    return (await response.json()) as T;
  }

  const projects = async (): Promise<ProjectView[]> =>
    (await call<{ projects: ProjectView[] }>('GET', '/api/projects')).projects;
  const createProject = (body: { name: string; instructions?: string; folders?: string[] }) =>
    call<ProjectView>('POST', '/api/projects', body);

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

  it('creates a project from the dialog; Esc closes it without creating; a taken name shows under Name', async () => {
    const dir = agent.folder({ 'q3.csv': 'month,amount\n', 'drafts/q3.md': '# Q3\n' });
    const opened = await open('/');
    const { page } = opened;
    await page.getByRole('navigation', { name: 'Steward' }).getByRole('link', { name: 'Projects' }).click();
    await page.waitForURL(/\/projects$/);
    // Before there is a project the page explains what one is for, with an example.
    const empty = page.getByRole('region', { name: 'Keep recurring work in one place' });
    await empty.waitFor();
    expect(await empty.textContent()).toContain('A project keeps instructions and folders you use again');
    await page.screenshot({ path: `${SCREENSHOTS}/projects-empty.png` });

    const dialog = page.getByRole('dialog', { name: 'New project' });
    await page.getByRole('button', { name: 'New project' }).click();
    await dialog.waitFor();
    // The name box has focus, so typing starts at once; Esc leaves without creating anything.
    await page.keyboard.type('Not wanted');
    expect(await dialog.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('Not wanted');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await projects()).toEqual([]);
    // Focus goes back to the button that opened it.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('New project');

    await page.getByRole('button', { name: 'New project' }).click();
    await dialog.waitFor();
    expect(await dialog.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Quarterly report');
    await dialog.getByRole('textbox', { name: 'Instructions' }).fill('Write for the board.');
    const folders = dialog.getByRole('textbox', { name: 'Folders' });
    await folders.fill(`${dir}\n\n${dir}\n`);
    // Browse… opens at the last folder typed and adds the one chosen as a line; Esc in it closes
    // only it, not the New project dialog under it.
    const browse = page.getByRole('dialog', { name: 'Choose a folder' });
    await dialog.getByRole('button', { name: 'Browse for a folder…' }).click();
    await browse.getByRole('option', { name: 'drafts' }).click();
    await expect.poll(() => browse.locator('[aria-current="location"]').textContent()).toBe('drafts');
    await browse.getByRole('button', { name: 'Choose this folder' }).click();
    await browse.waitFor({ state: 'hidden' });
    await expect.poll(() => folders.inputValue()).toBe(`${dir}\n${join(dir, 'drafts')}`);
    await dialog.getByRole('button', { name: 'Browse for a folder…' }).click();
    await browse.waitFor();
    await page.keyboard.press('Escape');
    await browse.waitFor({ state: 'hidden' });
    expect(await dialog.isVisible()).toBe(true);
    await folders.fill(dir);
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/p_[A-Za-z0-9_-]+$/);
    await page.getByRole('heading', { level: 1, name: 'Quarterly report' }).waitFor();
    const [created] = await projects();
    expect(created).toMatchObject({
      name: 'Quarterly report',
      instructions: 'Write for the board.',
      folders: [dir],
    });
    expect(new URL(page.url()).pathname).toBe(`/projects/${created?.id}`);

    // A second project of the same name, ignoring case, is refused under the Name box.
    await page.getByRole('navigation', { name: 'Steward' }).getByRole('link', { name: 'Projects' }).click();
    const list = page.getByRole('list', { name: 'Projects' });
    await list.getByRole('link', { name: 'Quarterly report' }).waitFor();
    expect(await list.getByRole('listitem').first().textContent()).toContain('0 tasks');
    expect(await list.getByRole('list', { name: 'Folders of Quarterly report' }).textContent()).toBe(dir);
    opened.expected.push(/status of 409/);
    await page.getByRole('button', { name: 'New project' }).click();
    await dialog.getByRole('textbox', { name: 'Name' }).fill('QUARTERLY report');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    const name = dialog.getByRole('textbox', { name: 'Name' });
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    expect(await dialog.locator(`[id="${describedBy}"]`).textContent()).toBe(
      'A project named "QUARTERLY report" already exists',
    );
    expect(await dialog.isVisible()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/project-new-dialog.png` });
    expect(await projects()).toHaveLength(1);
    // An empty name is refused the same way, under Name, by the server's own rule.
    opened.expected.push(/status of 400/);
    await name.fill('   ');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await expect
      .poll(() => dialog.locator(`[id="${describedBy}"]`).textContent())
      .toBe('Give the project a name');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await createProject({ name: 'Household paperwork', folders: ['/home/you/Documents/bills', dir] });
    await page.reload();
    await list.getByRole('link', { name: 'Household paperwork' }).waitFor();
    expect(await list.getByRole('link').allTextContents()).toEqual([
      'Household paperwork',
      'Quarterly report',
    ]);
    await page.screenshot({ path: `${SCREENSHOTS}/projects.png` });
    const dark = await open('/projects', { colorScheme: 'dark' });
    await dark.page.getByRole('link', { name: 'Household paperwork' }).waitFor();
    await dark.page.screenshot({ path: `${SCREENSHOTS}/projects-dark.png` });
  });

  it('starts a task in the project from its page: the model reads the instructions, the task is listed there', async () => {
    const dir = agent.folder({ 'invoices.txt': 'INV-1 120.50\n' });
    const project = await createProject({
      name: 'Invoices',
      instructions: 'Amounts are always in EUR. Never round.',
      folders: [dir],
    });
    agent.script.add('[proj-start]', [
      toolUse('read_file', { path: join(dir, 'invoices.txt') }),
      text('INV-1 is 120.50 EUR.'),
    ]);
    const { page } = await open(`/projects/${project.id}`);
    await page.getByRole('heading', { level: 1, name: 'Invoices' }).waitFor();
    expect(await page.getByRole('region', { name: 'Tasks' }).textContent()).toContain(
      'No tasks in this project yet',
    );

    // The folder box holds another folder from last time: the project's folder takes its place.
    await page.evaluate("localStorage.setItem('steward.lastFolder', '/tmp')");
    await page.getByRole('button', { name: 'New task in this project' }).click();
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('project') === project.id);
    const select = page.getByRole('combobox', { name: 'Project' });
    await expect.poll(() => select.inputValue()).toBe(project.id);
    expect(await page.getByRole('textbox', { name: 'Folder' }).inputValue()).toBe(dir);
    await page.getByRole('textbox', { name: 'Task' }).fill('[proj-start] What does INV-1 come to?');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/[A-Za-z0-9_-]+$/);
    const taskId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const done = await taskIn(agent.page, taskId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.projectId).toBe(project.id);
    expect(done.folders).toEqual([dir]);

    // Both turns of the task carried the project's instructions in the system prompt.
    const sent = agent.server.modelRequests
      .map((recorded) => recorded.body as { system?: unknown; messages: unknown[] })
      .filter((body) => JSON.stringify(body.messages[0]).includes('[proj-start]'));
    expect(sent).toHaveLength(2);
    for (const body of sent)
      expect(JSON.stringify(body.system)).toContain('Amounts are always in EUR. Never round.');

    // The recent list labels the task with its project.
    const recent = page.getByRole('navigation', { name: 'Recent tasks' });
    await expect
      .poll(() => recent.getByRole('link', { name: /\[proj-start\]/ }).textContent())
      .toContain('Project: Invoices');

    await page.goto(`${agent.stack.url}/projects/${project.id}`);
    const tasks = page.getByRole('list', { name: 'Tasks in this project' });
    await tasks.waitFor();
    expect(await tasks.getByRole('listitem').count()).toBe(1);
    expect(await tasks.getByRole('listitem').textContent()).toContain('Completed');
    expect(await page.getByRole('region', { name: 'Tasks' }).textContent()).toContain('1 task');
    await page.screenshot({ path: `${SCREENSHOTS}/project-page.png` });
    await tasks.getByRole('link', { name: '[proj-start] What does INV-1 come to?' }).click();
    await page.waitForURL(`**/tasks/${taskId}`);
    await page.getByText('INV-1 is 120.50 EUR.').waitFor();
  });

  it('a project chosen in the composer sends its id; the Folder box is filled only when the person did not type one', async () => {
    const dir = agent.folder();
    const typed = agent.folder();
    const project = await createProject({ name: 'Chosen in the composer', folders: [dir] });
    agent.script.add('[proj-choose]', [text('Fine.')]);
    const { page } = await open('/');
    const folder = page.getByRole('textbox', { name: 'Folder' });
    const select = page.getByRole('combobox', { name: 'Project' });
    await expect.poll(() => select.inputValue()).toBe('');
    await folder.fill(typed);
    await select.selectOption({ label: 'Chosen in the composer' });
    expect(await folder.inputValue()).toBe(typed);
    await folder.fill('');
    await select.selectOption('');
    await select.selectOption({ label: 'Chosen in the composer' });
    expect(await folder.inputValue()).toBe(dir);
    await page.getByRole('textbox', { name: 'Task' }).fill('[proj-choose] ok?');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/[A-Za-z0-9_-]+$/);
    const taskId = new URL(page.url()).pathname.split('/').pop() ?? '';
    expect((await taskIn(agent.page, taskId, ['completed'])).projectId).toBe(project.id);
  });

  it('rename, instructions and folders persist after a reload; a taken name is refused inline', async () => {
    const first = agent.folder();
    const second = agent.folder();
    const project = await createProject({ name: 'Board pack', instructions: 'Short.', folders: [first] });
    await createProject({ name: 'Taken name' });
    const opened = await open(`/projects/${project.id}`);
    const { page } = opened;
    await page.getByRole('heading', { level: 1, name: 'Board pack' }).waitFor();

    // Esc leaves the name as it was.
    await page.getByRole('button', { name: 'Rename' }).click();
    const nameBox = page.getByRole('textbox', { name: 'Project name' });
    await nameBox.fill('Not this');
    await nameBox.press('Escape');
    await page.getByRole('heading', { level: 1, name: 'Board pack' }).waitFor();

    opened.expected.push(/status of 409/);
    await page.getByRole('button', { name: 'Rename' }).click();
    await nameBox.fill('taken NAME');
    await nameBox.press('Enter');
    await expect.poll(() => nameBox.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${await nameBox.getAttribute('aria-describedby')}"]`).textContent()).toBe(
      'A project named "taken NAME" already exists',
    );
    await nameBox.fill('Board pack Q3');
    await nameBox.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Board pack Q3' }).waitFor();

    const instructions = page.getByRole('textbox', { name: 'Instructions' });
    expect(await instructions.inputValue()).toBe('Short.');
    const saveInstructions = page.getByRole('button', { name: 'Save instructions' });
    expect(await saveInstructions.isDisabled()).toBe(true);
    await instructions.fill('Short. In euros, for the board.');
    await saveInstructions.click();
    await expect.poll(() => page.locator('#project-instructions-result').textContent()).toContain('Saved.');

    const folders = page.getByRole('list', { name: 'Project folders' });
    await page.getByRole('textbox', { name: 'Folder to add' }).fill(second);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await expect
      .poll(() => folders.getByRole('listitem').allTextContents())
      .toEqual([`${first}Remove`, `${second}Remove`]);
    await page.getByRole('button', { name: `Remove ${first}` }).click();
    await expect.poll(() => folders.getByRole('listitem').allTextContents()).toEqual([`${second}Remove`]);
    // A relative path is refused by the server's rule, shown under the folders.
    opened.expected.push(/status of 400/);
    await page.getByRole('textbox', { name: 'Folder to add' }).fill('relative/path');
    await page.getByRole('button', { name: 'Add folder' }).click();
    await expect
      .poll(() => page.locator('#project-folders-error').textContent())
      .toBe('Folder 2: must be an absolute path');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Board pack Q3' }).waitFor();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Instructions' }).inputValue())
      .toBe('Short. In euros, for the board.');
    expect(
      await page.getByRole('list', { name: 'Project folders' }).getByRole('listitem').allTextContents(),
    ).toEqual([`${second}Remove`]);
    expect(await call<ProjectView>('GET', `/api/projects/${project.id}`)).toMatchObject({
      name: 'Board pack Q3',
      instructions: 'Short. In euros, for the board.',
      folders: [second],
    });
    expect(await page.title()).toBe('Board pack Q3 · Steward');
  });

  it('delete explains that tasks are kept, is refused while a task runs, and keeps the task', async () => {
    const dir = agent.folder();
    const project = await createProject({ name: 'Short-lived', folders: [dir] });
    agent.script.add('[proj-delete]', [
      toolUse('write_file', { path: join(dir, 'out.txt'), content: 'x\n' }),
      text('Not written.'),
    ]);
    const { id: taskId } = await call<{ id: string }>('POST', '/api/tasks', {
      prompt: '[proj-delete] write out.txt',
      folders: [dir],
      projectId: project.id,
    });
    await taskIn(agent.page, taskId, ['waiting_approval']);

    const opened = await open(`/projects/${project.id}`);
    const { page } = opened;
    await page.getByRole('heading', { level: 1, name: 'Short-lived' }).waitFor();
    const dialog = page.getByRole('dialog', { name: 'Delete the project “Short-lived”?' });
    await page.getByRole('button', { name: 'Delete project' }).click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(
      'Its task is kept: it stays in the task list, outside any project.',
    );
    opened.expected.push(/status of 409/);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      'The project has 1 task still running: cancel or finish them first',
    );
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await projects()).some((known) => known.id === project.id)).toBe(true);

    await call('POST', `/api/tasks/${taskId}/cancel`, {});
    await taskIn(agent.page, taskId, ['cancelled']);
    await page.getByRole('button', { name: 'Delete project' }).click();
    await dialog.waitFor();
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/\/projects$/);
    await eventually(
      async () => ((await projects()).some((known) => known.id === project.id) ? undefined : true),
      'the project to be gone',
    );
    expect(await page.getByRole('link', { name: 'Short-lived' }).count()).toBe(0);

    const kept = await call<TaskView>('GET', `/api/tasks/${taskId}`);
    expect(kept.projectId).toBeUndefined();
    await page.goto(`${agent.stack.url}/tasks/${taskId}`);
    await expect
      .poll(() => page.getByLabel('Task status').textContent(), { timeout: 15_000 })
      .toBe('Cancelled');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('[proj-delete] write out.txt');
  });

  it('a project named with markup shows as text everywhere', async () => {
    const markup = '<img src=x onerror=alert(1)>';
    const { page } = await open('/projects');
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill(markup);
    await dialog.getByRole('textbox', { name: 'Instructions' }).fill('<script>alert(2)</script>');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/p_/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(markup);
    expect(await page.getByRole('textbox', { name: 'Instructions' }).inputValue()).toBe(
      '<script>alert(2)</script>',
    );
    expect(await page.title()).toBe(`${markup} · Steward`);

    await page.getByRole('navigation', { name: 'Steward' }).getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('link', { name: markup }).waitFor();
    await page.getByRole('button', { name: 'New project' }).waitFor();
    await page.goto(`${agent.stack.url}/`);
    await expect
      .poll(() => page.getByRole('combobox', { name: 'Project' }).locator('option').allTextContents())
      .toContain(markup);
    // Nothing the name carried became an element; an alert would have failed the test in afterEach.
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  });
});
