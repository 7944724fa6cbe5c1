// One cold first load of the page: a fresh browser context (empty cache, no cookie) opening the
// address `steward up` printed. What crossed the wire is read from the DevTools protocol's Network
// events (encoded bytes, headers included); when the page is interactive, from inside the page
// (support/ui-page-probe.ts): navigation start → the composer's "Task" box visible and enabled.
import { gzipSync } from 'node:zlib';
import type { Browser, CDPSession } from 'playwright-core';
import { INTERACTIVE_PROBE, navigationFigures, type NavigationFigures } from './ui-page-probe.js';

/** After the page is interactive and loaded, how long late responses may still be counted. */
const QUIET_MS = 250;
const POLL_MS = 20;

export type ResourceKind = 'document' | 'script' | 'stylesheet' | 'other';

export interface ScriptFile {
  readonly url: string;
  /** Bytes on the wire, headers included. */
  readonly wireBytes: number;
  /** The body as the browser decoded it. */
  readonly bodyBytes: number;
  /** The `content-encoding` the server sent, if any. */
  readonly contentEncoding: string | null;
  /** The body gzipped at level 9, as the page's build measures its budget. */
  readonly gzipBytes: number;
}

export interface ColdLoad {
  readonly navigation: NavigationFigures;
  /** Outside the page: page.goto() called → Playwright sees the "Task" box visible and enabled. */
  readonly outsideMs: number;
  readonly requests: number;
  /** Requests still open when the load was counted (event streams, polls in flight). */
  readonly open: number;
  readonly bytes: Readonly<Record<ResourceKind | 'total', number>>;
  readonly scripts: readonly ScriptFile[];
  /** Script as the browser would receive it compressed: the encoded body when the server compressed it, else its gzip. */
  readonly scriptCompressedBytes: number;
  readonly pageErrors: readonly string[];
}

interface Tracked {
  url: string;
  kind: ResourceKind;
  wireBytes: number;
  finished: boolean;
  contentEncoding: string | null;
}

function kindOf(type: string | undefined): ResourceKind {
  if (type === 'Document') return 'document';
  if (type === 'Script') return 'script';
  if (type === 'Stylesheet') return 'stylesheet';
  return 'other';
}

function headerOf(headers: Record<string, string>, name: string): string | null {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return null;
}

/** Records every request of the page over its own DevTools session. */
function trackNetwork(session: CDPSession): Map<string, Tracked> {
  const tracked = new Map<string, Tracked>();
  const entry = (requestId: string, url: string, type: string | undefined): Tracked => {
    const known = tracked.get(requestId);
    if (known !== undefined) return known;
    const created: Tracked = {
      url,
      kind: kindOf(type),
      wireBytes: 0,
      finished: false,
      contentEncoding: null,
    };
    tracked.set(requestId, created);
    return created;
  };
  session.on('Network.requestWillBeSent', (event) => {
    // A redirect keeps the request id: the hop that redirected is counted under its own key.
    if (event.redirectResponse !== undefined)
      tracked.set(`${event.requestId}:redirect:${event.redirectResponse.url}`, {
        url: event.redirectResponse.url,
        kind: kindOf(event.type),
        wireBytes: event.redirectResponse.encodedDataLength,
        finished: true,
        contentEncoding: headerOf(event.redirectResponse.headers, 'content-encoding'),
      });
    entry(event.requestId, event.request.url, event.type).url = event.request.url;
  });
  session.on('Network.responseReceived', (event) => {
    const known = entry(event.requestId, event.response.url, event.type);
    known.kind = kindOf(event.type);
    known.contentEncoding = headerOf(event.response.headers, 'content-encoding');
  });
  session.on('Network.loadingFinished', (event) => {
    const known = tracked.get(event.requestId);
    if (known === undefined) return;
    known.wireBytes = event.encodedDataLength;
    known.finished = true;
  });
  return tracked;
}

const gzipCache = new Map<string, number>();

async function scriptFile(session: CDPSession, requestId: string, known: Tracked): Promise<ScriptFile> {
  const { body, base64Encoded } = await session.send('Network.getResponseBody', { requestId });
  const bytes = Buffer.from(body, base64Encoded ? 'base64' : 'utf8');
  const key = `${bytes.length}:${known.url}`;
  let gzipBytes = gzipCache.get(key);
  if (gzipBytes === undefined) {
    gzipBytes = gzipSync(bytes, { level: 9 }).length;
    gzipCache.set(key, gzipBytes);
  }
  return {
    url: known.url,
    wireBytes: known.wireBytes,
    bodyBytes: bytes.length,
    contentEncoding: known.contentEncoding,
    gzipBytes,
  };
}

/** Loads `address` in a fresh context and measures it; throws when the page never becomes interactive. */
export async function coldLoad(browser: Browser, address: string, timeoutMs: number): Promise<ColdLoad> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.addInitScript({ content: INTERACTIVE_PROBE });
    const session = await context.newCDPSession(page);
    const tracked = trackNetwork(session);
    await session.send('Network.enable');

    const deadline = Date.now() + timeoutMs;
    const overdue = (what: string): Error => new Error(`${what} within ${timeoutMs} ms`);
    const started = performance.now();
    await page.goto(address, { waitUntil: 'commit', timeout: timeoutMs });
    const box = page.getByRole('textbox', { name: 'Task' });
    await box.waitFor({ state: 'visible', timeout: timeoutMs });
    while (!(await box.isEnabled())) {
      if (Date.now() > deadline) throw overdue('the "Task" textbox was not enabled');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const outsideMs = performance.now() - started;

    let navigation = await navigationFigures(page);
    while (navigation.loadMs <= 0 || navigation.probe.paintedMs === null) {
      if (Date.now() > deadline)
        throw overdue(`the page did not finish loading (${JSON.stringify(navigation)})`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      navigation = await navigationFigures(page);
    }
    const boxId = await box.getAttribute('id');
    if (navigation.probe.controlId !== boxId)
      throw new Error(
        `the probe watched #${navigation.probe.controlId ?? '?'}, but the "Task" textbox is #${boxId ?? '?'}`,
      );
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    // The paint timing entry is queued once the frame has been presented, which may be later.
    navigation = {
      ...navigation,
      firstContentfulPaintMs: (await navigationFigures(page)).firstContentfulPaintMs,
    };

    const bytes: Record<ResourceKind | 'total', number> = {
      document: 0,
      script: 0,
      stylesheet: 0,
      other: 0,
      total: 0,
    };
    const scripts: ScriptFile[] = [];
    let open = 0;
    for (const [requestId, known] of tracked) {
      if (!known.finished) {
        open += 1;
        continue;
      }
      bytes[known.kind] += known.wireBytes;
      bytes.total += known.wireBytes;
      if (known.kind === 'script') scripts.push(await scriptFile(session, requestId, known));
    }
    const scriptCompressedBytes = scripts.reduce(
      (sum, file) => sum + (file.contentEncoding === null ? file.gzipBytes : file.wireBytes),
      0,
    );
    await session.detach();
    return {
      navigation,
      outsideMs,
      requests: tracked.size,
      open,
      bytes,
      scripts,
      scriptCompressedBytes,
      pageErrors,
    };
  } finally {
    await context.close();
  }
}
