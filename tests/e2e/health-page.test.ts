import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

describe('the first page, in a real browser', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('the address `steward up` prints signs the browser in and shows every service healthy', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${stack.uiPort}/?token=${stack.token}`);
    // The token leaves the address bar; an HttpOnly session cookie replaces it.
    expect(new URL(page.url()).search).toBe('');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'steward_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(session?.value).not.toContain(stack.token);

    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 15_000 })
      .toBe('All services healthy');
    for (const service of ['ui', 'orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler']) {
      const row = page
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: service, exact: true }) });
      await expect.poll(() => row.getByRole('cell').nth(1).textContent()).toBe('ok');
    }
    await expect.poll(() => page.locator('#sandbox').textContent()).toMatch(/docker|bubblewrap/);
    await page.screenshot({ path: 'tests/.artifacts/health-page.png', fullPage: true });
    await context.close();
  });

  it('checks a folder through ui → orchestrator → fs-service and renders problems as text', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${stack.uiPort}/?token=${stack.token}`);
    await page.getByRole('textbox', { name: 'Folder' }).fill(stack.home);
    await page.getByRole('button', { name: 'Check folder' }).click();
    await expect.poll(() => page.locator('#folder-result').textContent()).toContain('Ready');

    const hostile = '/tmp/<img src=x onerror=alert(1)><script>window.__pwned=1</script>';
    await page.getByRole('textbox', { name: 'Folder' }).fill(hostile);
    await page.getByRole('button', { name: 'Check folder' }).click();
    await expect.poll(() => page.locator('#folder-result').textContent()).toContain('does not exist');
    expect(await page.locator('#folder-result img, #folder-result script').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    await context.close();
  });

  it('without the token the page says how to sign in and the API refuses', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${stack.uiPort}/`);
    await expect.poll(() => page.locator('#signin').isVisible()).toBe(true);
    const status = await page.evaluate(async () => (await fetch('/api/policy')).status);
    expect(status).toBe(401);
    await context.close();
  });

  it('a wrong token in the address is refused and sets no cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${stack.uiPort}/?token=${'x'.repeat(43)}`);
    expect(response?.status()).toBe(401);
    expect((await context.cookies()).find((c) => c.name === 'steward_session')).toBeUndefined();
    await context.close();
  });
});
