// What the benchmark runs inside the page, and reading back what it recorded. The scripts are text:
// Playwright evaluates them over the DevTools protocol (which the page's CSP does not govern), and
// this project compiles for Node, without the DOM's types.
import type { Page } from 'playwright-core';
import { markerOf } from './ui-delta-script.js';

/**
 * Watches the DOM for the markers `prefix0000z` … in order. Each gets three stamps, in
 * `performance.timeOrigin + performance.now()` ms: 'dom', when a mutation put it in the document
 * (the observer's callback, right after the script that changed the DOM); 'frame', the start of the
 * next animation frame; 'painted', a task queued from that frame, which runs once the frame's
 * rendering is done — the nearest a page can see to the moment the text is painted.
 */
const MARKER_PROBE = `(({ prefix, count }) => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = [];
  let next = 0;
  const markerOf = (index) => prefix + String(index).padStart(4, '0') + 'z';
  const scan = () => {
    const text = document.body.textContent || '';
    const dom = now();
    const seen = [];
    while (next < count && text.includes(markerOf(next))) {
      seen.push({ index: next, dom, frame: null, painted: null });
      next += 1;
    }
    if (seen.length === 0) return;
    marks.push(...seen);
    requestAnimationFrame(() => {
      const frame = now();
      for (const mark of seen) mark.frame = frame;
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const painted = now();
        for (const mark of seen) mark.painted = painted;
      };
      channel.port2.postMessage(null);
    });
  };
  new MutationObserver(scan).observe(document.body, { childList: true, subtree: true, characterData: true });
  scan();
  globalThis.__uiBenchMarks = marks;
})`;

export interface MarkStamp {
  readonly index: number;
  readonly dom: number;
  readonly frame: number;
  readonly painted: number;
}

function isStamp(value: unknown): value is MarkStamp {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['index', 'dom', 'frame', 'painted'].every((key) => typeof record[key] === 'number');
}

/** Starts watching for `count` markers of `prefix`; markers already in the page count at once. */
export async function watchMarkers(page: Page, prefix: string, count: number): Promise<void> {
  await page.evaluate(`${MARKER_PROBE}(${JSON.stringify({ prefix, count })})`);
}

/** The markers seen and painted so far, in order. */
export async function markersSeen(page: Page): Promise<MarkStamp[]> {
  const raw: unknown = await page.evaluate('globalThis.__uiBenchMarks ?? []');
  return Array.isArray(raw) ? raw.filter(isStamp) : [];
}

/** Polls until all `count` markers are painted; resolves with what came when the time is up. */
export async function untilMarkers(page: Page, count: number, timeoutMs: number): Promise<MarkStamp[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const marks = await markersSeen(page);
    if (marks.length >= count || Date.now() > deadline) return marks;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Per marker: the page's stamp − the server's write stamp; NaN for a marker never written. */
export function latencies(
  marks: readonly MarkStamp[],
  prefix: string,
  written: ReadonlyMap<string, number>,
  pick: (mark: MarkStamp) => number,
): Float64Array {
  return Float64Array.from(marks, (mark) => pick(mark) - (written.get(markerOf(prefix, mark.index)) ?? NaN));
}

/**
 * Added to every document before its own scripts: stamps (performance.now(), from navigation start)
 * when the composer's "Task" box — the control of the label reading "Task" — is in the document,
 * enabled and visible, and when the frame showing it has been rendered.
 */
export const INTERACTIVE_PROBE = `(() => {
  const state = { readyMs: null, paintedMs: null, controlId: null };
  globalThis.__uiBenchLoad = state;
  const control = () => {
    for (const label of document.querySelectorAll('label')) {
      if (label.textContent.trim() === 'Task' && label.control) return label.control;
    }
    return null;
  };
  const check = () => {
    if (state.readyMs !== null) return;
    const box = control();
    if (box === null || box.disabled || !box.checkVisibility()) return;
    state.readyMs = performance.now();
    state.controlId = box.id;
    observer.disconnect();
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        state.paintedMs = performance.now();
      };
      channel.port2.postMessage(null);
    });
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})();`;

export interface LoadProbe {
  readonly readyMs: number | null;
  readonly paintedMs: number | null;
  readonly controlId: string | null;
}

export interface NavigationFigures {
  /** Navigation start → each event, in ms (from the Navigation Timing entry). */
  readonly responseEndMs: number;
  readonly domContentLoadedMs: number;
  readonly loadMs: number;
  readonly firstContentfulPaintMs: number | null;
  readonly redirects: number;
  readonly probe: LoadProbe;
}

const NAVIGATION_READ = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    responseEndMs: nav ? nav.responseEnd : -1,
    domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : -1,
    loadMs: nav ? nav.loadEventEnd : -1,
    firstContentfulPaintMs: fcp ? fcp.startTime : null,
    redirects: nav ? nav.redirectCount : 0,
    probe: globalThis.__uiBenchLoad ?? { readyMs: null, paintedMs: null, controlId: null },
  };
})()`;

export async function navigationFigures(page: Page): Promise<NavigationFigures> {
  return (await page.evaluate(NAVIGATION_READ)) as NavigationFigures;
}
