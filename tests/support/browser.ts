import { expect } from 'vitest';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system's Chromium, driven by Playwright; no browser is ever downloaded. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = CANDIDATES.find((path) => existsSync(path));
  if (!executablePath)
    throw new Error(
      `no system Chromium found (looked in ${CANDIDATES.join(', ')}); apt-get install chromium`,
    );
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** A signed-in page and what it did that a test must see: dialogs it opened, errors it logged. */
export interface OpenPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** alert/confirm/prompt dialogs the page opened (dismissed): markup run as code would show up here. */
  readonly dialogs: string[];
  /** Script errors and console errors, CSP violations among them. */
  readonly errors: string[];
  /** Console errors a test provokes on purpose (the browser logs every refused request). */
  readonly expected: RegExp[];
}

/**
 * A fresh browser context signed in through the address `steward up` printed, then at `path`:
 * the token is traded for the session cookie exactly as a person's first visit does.
 */
export async function openSignedIn(
  browser: Browser,
  stack: { readonly address: string; readonly url: string },
  path = '/',
  options: BrowserContextOptions = {},
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, ...options });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(stack.address);
  if (path !== '/') await page.goto(`${stack.url}${path}`);
  return { context, page, dialogs, errors, expected: [] };
}

/**
 * Closes every page a test opened and checks none of them opened a dialog or logged an error it
 * did not expect (markup run as code, a CSP violation, a script error).
 */
export async function closePages(opened: OpenPage[]): Promise<void> {
  for (const { context, dialogs, errors, expected } of opened.splice(0)) {
    await context.close();
    expect(dialogs).toEqual([]);
    expect(errors.filter((error) => !expected.some((pattern) => pattern.test(error)))).toEqual([]);
  }
}
