// The system's Chromium driven by Playwright, launched as the browser tests launch it
// (tests/support/browser.ts): nothing is ever downloaded.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export interface LaunchedBrowser {
  readonly browser: Browser;
  readonly executablePath: string;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const executablePath = CANDIDATES.find((path) => existsSync(path));
  if (executablePath === undefined)
    throw new Error(
      `no system Chromium found (looked in ${CANDIDATES.join(', ')}); apt-get install chromium`,
    );
  const browser = await chromium.launch({
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
  return { browser, executablePath };
}
