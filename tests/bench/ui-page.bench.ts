// Page benchmark: what the whole stack adds between the model writing a piece of its answer and the
// page showing it, and what the page costs to open. A real stack, started as `steward up --detach`
// starts it (support/ui-stack.ts), its orchestrator talking to the local model server
// (@steward/testing), watched by the system's Chromium (playwright-core):
//   'text delta':  each task's answer is DELTAS text deltas, PACE_MS apart, each carrying a marker
//                  of its own. The bench stamps when the model server writes each one (at its
//                  res.write, support/ui-delta-script.ts) and the page when each appears in the DOM
//                  and when the frame showing it has rendered (support/ui-page-probe.ts); both
//                  clocks are performance.timeOrigin + performance.now() on this machine. The
//                  orchestrator batches a task's events per event-loop turn and merges consecutive
//                  text deltas, so several markers may appear in one render: each is timed anyway;
//   against the primitive, measured in the same run: the same deltas, at the same pace, written
//                  as server-sent events by a bare HTTP server to a minimal page that appends each
//                  to the DOM (support/bare-sse.ts). Added latency = real − bare;
//   'first load':  LOADS cold loads (fresh context: empty cache, no cookie) of the address `up`
//                  printed (`/?token=…`, which redirects to the page): bytes on the wire by kind,
//                  script compressed (gzip -9 of each script body when the server sends it
//                  uncompressed, as the page's build measures its budget), and navigation start →
//                  the composer's "Task" textbox visible and enabled, → DOMContentLoaded, → load.
// Targets (issue 6): script < 300 KB compressed, interactive < 1 s; the delta latency has none and
// is reported. Prints figures and writes them to results/ui-page.json; it never judges wall-clock
// time, and exits non-zero only when something is broken (the stack does not start, a task does not
// complete, a delta never shows, the page throws).
//
// BENCH_ROUNDS=<n> (3, at most 9) streams per side, BENCH_DELTAS=<n> (200) deltas per stream,
// BENCH_PACE_MS=<n> (20) between deltas, BENCH_LOADS=<n> (10) cold loads. BENCH_REDUCED_MOTION=1 opens
// every page preferring reduced motion (the page then stops its spinner and blinking cursor): for
// finding what the page's animations cost a delta, not for the figures of record.
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ModelServer } from '@steward/testing';
import { BareSseServer } from './support/bare-sse.js';
import { launchChromium } from './support/chromium.js';
import { median, summarize, type LatencySummary } from './support/stats.js';
import {
  DeltaScript,
  markerOf,
  markerPrefix,
  ModelWriteClock,
  type WriteStamps,
} from './support/ui-delta-script.js';
import { coldLoad, type ColdLoad } from './support/ui-load.js';
import { latencies, untilMarkers, watchMarkers, type MarkStamp } from './support/ui-page-probe.js';
import { staleBuild, startUiStack, type UiStack } from './support/ui-stack.js';

const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 3, 9);
const DELTAS = positiveInteger(process.env.BENCH_DELTAS, 200, 9_999);
const PACE_MS = positiveInteger(process.env.BENCH_PACE_MS, 20, 1_000);
const LOADS = positiveInteger(process.env.BENCH_LOADS, 10, 100);
const REDUCED_MOTION = process.env.BENCH_REDUCED_MOTION === '1';
/** Deltas of the unmeasured first stream on each side: a fresh stack and page run cold code. */
const WARMUP_DELTAS = 50;
/** After the page is watching, before the first delta: lets the page settle from loading. */
const SETTLE_MS = 500;
const CLOCK_SAMPLES = 30;
const TARGET_SCRIPT_KB = 300;
const TARGET_INTERACTIVE_MS = 1_000;
const API_KEY = 'sk-ant-bench-ui-page';
const MODEL = 'claude-sonnet-4-6';
const STEP_DEADLINE_MS = 30_000;
const RESULTS_FILE = fileURLToPath(new URL('../results/ui-page.json', import.meta.url));

class Broken extends Error {}

function positiveInteger(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max)
    throw new Error(`expected a whole number from 1 to ${max}, got "${value}"`);
  return parsed;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Broken(`${what} did not happen within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => performance.timeOrigin + performance.now();
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
const verdict = (met: boolean): string => (met ? 'met' : 'missed');

function row(cells: readonly string[]): string {
  const widths = [50, 9, 9, 9, 9];
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

const concat = (parts: readonly Float64Array[]): Float64Array =>
  Float64Array.from(parts.flatMap((part) => Array.from(part)));

/** One stream watched by the page: per-delta latencies and how the deltas were grouped into renders. */
interface StreamRun {
  readonly dom: Float64Array;
  readonly frame: Float64Array;
  readonly painted: Float64Array;
  /** Distinct renders that brought the deltas in. */
  readonly renders: number;
  /** The server's gap between consecutive delta writes (the pace actually kept). */
  readonly writeGaps: Float64Array;
}

function streamRun(
  marks: readonly MarkStamp[],
  prefix: string,
  count: number,
  written: WriteStamps,
): StreamRun {
  const writes = Array.from({ length: count }, (_, i) => written.get(markerOf(prefix, i)) ?? Number.NaN);
  return {
    dom: latencies(marks, prefix, written, (mark) => mark.dom),
    frame: latencies(marks, prefix, written, (mark) => mark.frame),
    painted: latencies(marks, prefix, written, (mark) => mark.painted),
    renders: new Set(marks.map((mark) => mark.painted)).size,
    writeGaps: Float64Array.from(writes.slice(1), (at, i) => at - (writes[i] ?? Number.NaN)),
  };
}

/** A page in a fresh context, with its uncaught errors and console errors collected. */
interface OpenedPage {
  readonly page: Page;
  readonly errors: string[];
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

async function openPage(browser: Browser): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 860 },
    reducedMotion: REDUCED_MOTION ? 'reduce' : 'no-preference',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return { page, errors, consoleErrors, close: () => context.close() };
}

/**
 * The browser's clock against this process's: the page's performance.timeOrigin + now() minus the
 * midpoint of the fastest of several round trips. Both read the same system clock, so this should be
 * near 0; it is reported, not corrected for (real − bare cancels any constant offset).
 */
async function clockOffset(page: Page): Promise<{ offsetMs: number; roundTripMs: number }> {
  let best = { offsetMs: Number.NaN, roundTripMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < CLOCK_SAMPLES; i++) {
    const before = now();
    const inPage = Number(await page.evaluate('performance.timeOrigin + performance.now()'));
    const after = now();
    if (after - before < best.roundTripMs)
      best = { offsetMs: inPage - (before + after) / 2, roundTripMs: after - before };
  }
  return best;
}

async function main(): Promise<void> {
  let model: ModelServer | undefined;
  let writeClock: ModelWriteClock | undefined;
  let stack: UiStack | undefined;
  let bare: BareSseServer | undefined;
  let browser: Browser | undefined;
  let folder: string | undefined;
  const cleanup = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await bare?.close().catch(() => undefined);
    await stack?.stop().catch((error: unknown) => console.error(String(error)));
    writeClock?.close();
    await model?.close();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const stale = await staleBuild();
    if (stale.length > 0)
      console.log(
        `  note: the built page is older than ${stale.length} of its sources (${stale.slice(0, 3).join(', ')}` +
          `${stale.length > 3 ? ', …' : ''}); the figures are for the build (npm run build rebuilds it)`,
      );
    model = await ModelServer.start({ apiKey: API_KEY });
    const modelServer = model;
    writeClock = new ModelWriteClock(modelServer.port);
    const modelWrites = writeClock.stamps;
    const script = new DeltaScript(PACE_MS);
    modelServer.respondWith(script.handler);

    stack = await startUiStack({
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: modelServer.url,
      STEWARD_MODEL: MODEL,
    });
    const ui = stack;
    console.log(`  stack up in ${(ui.upMs / 1000).toFixed(1)} s at ${ui.url}`);
    bare = await BareSseServer.start();
    const bareServer = bare;
    const launched = await launchChromium();
    browser = launched.browser;
    const chromium = browser;
    folder = mkdtempSync(join(tmpdir(), 'steward-bench-ui-task-'));
    // Under root the task's folder belongs to uid 1000, as the stack's sandboxes expect.
    if (process.getuid?.() === 0) chownSync(folder, 1000, 1000);
    const taskFolder = folder;
    const runTag = `ui-page-bench-${process.pid}`;

    const bareStream = async (round: number, count: number): Promise<StreamRun> => {
      const prefix = markerPrefix('b', round);
      const id = `${runTag}-${round}`;
      const opened = await openPage(chromium);
      try {
        const connected = bareServer.connected(id);
        await opened.page.goto(bareServer.pageUrl(id));
        await withDeadline(connected, STEP_DEADLINE_MS, 'the bare page opening its event stream');
        await watchMarkers(opened.page, prefix, count);
        await sleep(SETTLE_MS);
        await bareServer.stream(id, prefix, count, PACE_MS);
        const marks = await untilMarkers(opened.page, count, STEP_DEADLINE_MS);
        if (opened.errors.length > 0) throw new Broken(`the bare page threw: ${opened.errors.join('; ')}`);
        if (marks.length < count) throw new Broken(`the bare page showed ${marks.length} of ${count} deltas`);
        return streamRun(marks, prefix, count, bareServer.stamps);
      } finally {
        await opened.close();
      }
    };

    const consoleErrors: string[] = [];
    const realStream = async (round: number, count: number): Promise<StreamRun> => {
      const prefix = markerPrefix('r', round);
      const tag = `[${runTag} round ${round}]`;
      const held = script.add(tag, prefix, count);
      const created = await ui.api('/api/tasks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `${tag} Write the streamed answer.`, folders: [taskFolder] }),
      });
      const body = (await created.json()) as { id?: unknown };
      if (created.status !== 201 || typeof body.id !== 'string')
        throw new Broken(`POST /api/tasks answered ${created.status}: ${JSON.stringify(body)}`);
      const taskId = body.id;
      await withDeadline(held.requested, STEP_DEADLINE_MS, `task ${taskId} asking the model`);

      const opened = await openPage(chromium);
      try {
        await opened.page.goto(ui.address);
        const streamOpen = opened.page.waitForResponse(
          (response) => response.url().includes(`/api/tasks/${taskId}/events`),
          { timeout: STEP_DEADLINE_MS },
        );
        await opened.page.goto(`${ui.url}/tasks/${taskId}`);
        await streamOpen;
        await opened.page.getByLabel('Task status').waitFor({ timeout: STEP_DEADLINE_MS });
        await watchMarkers(opened.page, prefix, count);
        await sleep(SETTLE_MS);
        held.release();
        const marks = await untilMarkers(opened.page, count, STEP_DEADLINE_MS + count * PACE_MS * 2);
        if (opened.errors.length > 0) throw new Broken(`the page threw: ${opened.errors.join('; ')}`);
        if (marks.length < count)
          throw new Broken(`the page showed ${marks.length} of ${count} deltas of task ${taskId}`);
        let status = '';
        const settleBy = Date.now() + STEP_DEADLINE_MS;
        while (status !== 'completed' && Date.now() < settleBy) {
          const view = (await (await ui.api(`/api/tasks/${taskId}`)).json()) as { status?: unknown };
          status = String(view.status);
          if (status !== 'completed') await sleep(50);
        }
        if (status !== 'completed') throw new Broken(`task ${taskId} ended ${status}, not completed`);
        consoleErrors.push(...opened.consoleErrors);
        return streamRun(marks, prefix, count, modelWrites);
      } finally {
        await opened.close();
      }
    };

    // The two clocks, compared once from a plain page.
    const clockPage = await openPage(chromium);
    await clockPage.page.goto(bareServer.pageUrl(`${runTag}-clock`));
    const clock = await clockOffset(clockPage.page);
    await clockPage.close();
    console.log(
      `  clocks: the browser's reads ${ms(clock.offsetMs)} ms from this process's (± ${ms(clock.roundTripMs / 2)} ms)`,
    );

    await bareStream(0, WARMUP_DELTAS);
    await realStream(0, WARMUP_DELTAS);
    const bareRuns: StreamRun[] = [];
    const realRuns: StreamRun[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      globalThis.gc?.();
      const bareRun = await bareStream(round, DELTAS);
      const realRun = await realStream(round, DELTAS);
      bareRuns.push(bareRun);
      realRuns.push(realRun);
      const real = summarize(realRun.painted);
      const bareFigures = summarize(bareRun.painted);
      console.log(
        `  round ${round}: ${DELTAS} deltas, written every ${ms(median(Array.from(realRun.writeGaps)))} ms; ` +
          `painted p50 real ${ms(real.p50Ms)} ms, bare ${ms(bareFigures.p50Ms)} ms → added ${ms(real.p50Ms - bareFigures.p50Ms)} ms; ` +
          `p99 real ${ms(real.p99Ms)}, bare ${ms(bareFigures.p99Ms)}; renders real ${realRun.renders}, bare ${bareRun.renders}`,
      );
    }

    const loads: ColdLoad[] = [];
    await coldLoad(chromium, ui.address, STEP_DEADLINE_MS);
    for (let i = 0; i < LOADS; i++) {
      const load = await coldLoad(chromium, ui.address, STEP_DEADLINE_MS);
      if (load.pageErrors.length > 0)
        throw new Broken(`the page threw on load: ${load.pageErrors.join('; ')}`);
      loads.push(load);
    }

    const realDom = summarize(concat(realRuns.map((run) => run.dom)));
    const realFrame = summarize(concat(realRuns.map((run) => run.frame)));
    const realPainted = summarize(concat(realRuns.map((run) => run.painted)));
    const bareDom = summarize(concat(bareRuns.map((run) => run.dom)));
    const bareFrame = summarize(concat(bareRuns.map((run) => run.frame)));
    const barePainted = summarize(concat(bareRuns.map((run) => run.painted)));
    const added = (real: LatencySummary, base: LatencySummary): LatencySummary => ({
      p50Ms: real.p50Ms - base.p50Ms,
      p99Ms: real.p99Ms - base.p99Ms,
      meanMs: real.meanMs - base.meanMs,
      minMs: real.minMs - base.minMs,
      maxMs: real.maxMs - base.maxMs,
    });
    const addedPainted = added(realPainted, barePainted);
    const addedDom = added(realDom, bareDom);
    const deltasPerRender = {
      real: (ROUNDS * DELTAS) / realRuns.reduce((sum, run) => sum + run.renders, 0),
      bare: (ROUNDS * DELTAS) / bareRuns.reduce((sum, run) => sum + run.renders, 0),
    };
    const writeGap = summarize(concat(realRuns.map((run) => run.writeGaps)));

    // A figure a load did not report (null) is left out, not counted as a time.
    const loadOf = (pick: (load: ColdLoad) => number | null): LatencySummary =>
      summarize(Float64Array.from(loads.flatMap((load) => pick(load) ?? [])));
    const interactive = loadOf((load) => load.navigation.probe.paintedMs);
    const ready = loadOf((load) => load.navigation.probe.readyMs);
    const domContentLoaded = loadOf((load) => load.navigation.domContentLoadedMs);
    const loaded = loadOf((load) => load.navigation.loadMs);
    const firstPaint = loadOf((load) => load.navigation.firstContentfulPaintMs);
    const outside = loadOf((load) => load.outsideMs);
    const last = loads[loads.length - 1];
    if (last === undefined) throw new Broken('no cold load was measured');
    const scriptKb = median(loads.map((load) => load.scriptCompressedBytes)) / 1024;
    const bytesOf = (kind: keyof ColdLoad['bytes']): number => median(loads.map((load) => load.bytes[kind]));

    console.log('');
    console.log(row(['', 'p50 ms', 'p99 ms', 'mean ms', 'max ms']));
    const summaryRows: Array<[string, LatencySummary]> = [
      ['text delta, real stack: write → painted', realPainted],
      ['  write → in the DOM', realDom],
      ['  write → next animation frame starts', realFrame],
      ['text delta, bare SSE page: write → painted', barePainted],
      ['  write → in the DOM', bareDom],
      ['  write → next animation frame starts', bareFrame],
      ['added by the stack (real − bare), painted', addedPainted],
      ['  in the DOM', addedDom],
      ['model server: gap between delta writes', writeGap],
      [`first load (${LOADS} cold): "Task" box visible, enabled`, ready],
      ['  and its frame rendered (interactive)', interactive],
      ['  first contentful paint', firstPaint],
      ['  DOMContentLoaded', domContentLoaded],
      ['  load', loaded],
      ['  outside: goto → Playwright sees the box', outside],
    ];
    for (const [label, figures] of summaryRows)
      console.log(row([label, ms(figures.p50Ms), ms(figures.p99Ms), ms(figures.meanMs), ms(figures.maxMs)]));
    console.log(
      `deltas per render: real ${deltasPerRender.real.toFixed(2)}, bare ${deltasPerRender.bare.toFixed(2)} ` +
        `(${ROUNDS} rounds of ${DELTAS} deltas, pooled)\n` +
        `first load bytes on the wire (median, headers included): total ${kb(bytesOf('total'))} KB = document ` +
        `${kb(bytesOf('document'))} + script ${kb(bytesOf('script'))} + stylesheet ${kb(bytesOf('stylesheet'))} + ` +
        `other ${kb(bytesOf('other'))} KB in ${last.requests} requests (${last.open} still open)\n` +
        `script: ${last.scripts
          .map(
            (file) =>
              `${new URL(file.url).pathname} ${kb(file.bodyBytes)} KB, sent ${file.contentEncoding ?? 'uncompressed'}, ` +
              `gzip -9 ${kb(file.gzipBytes)} KB`,
          )
          .join('; ')}`,
    );
    if (consoleErrors.length > 0)
      console.log(`console errors on the task pages: ${[...new Set(consoleErrors)].slice(0, 5).join('; ')}`);

    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          benchmark: 'ui-page',
          finishedAt: new Date().toISOString(),
          environment: {
            node: process.version,
            chromium: chromium.version(),
            chromiumPath: launched.executablePath,
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
          },
          settings: {
            rounds: ROUNDS,
            deltasPerStream: DELTAS,
            paceMs: PACE_MS,
            warmupDeltas: WARMUP_DELTAS,
            coldLoads: LOADS,
            reducedMotion: REDUCED_MOTION,
            model: MODEL,
            textDelta:
              'model server res.write of the delta → the page: "dom" when a MutationObserver sees its marker, ' +
              '"painted" in a task queued from the next animation frame; both clocks performance.timeOrigin + now()',
            bare: 'the same deltas at the same pace as server-sent events from a bare HTTP server to a page that appends each as a text node',
            interactive:
              'navigation start (before the /?token= redirect) → the control of the label "Task" visible and enabled, and its frame rendered',
            scriptCompressed:
              'per script: its encoded bytes when the server compressed it, else its body gzipped at level 9',
            statistic: 'samples pooled over rounds; added = real − bare per statistic',
            targets: {
              scriptCompressedKb: `< ${TARGET_SCRIPT_KB}`,
              interactiveP50Ms: `< ${TARGET_INTERACTIVE_MS}`,
            },
          },
          clock,
          startup: { stackUpMs: ui.upMs },
          textDelta: {
            real: { painted: realPainted, frame: realFrame, dom: realDom },
            bare: { painted: barePainted, frame: bareFrame, dom: bareDom },
            added: { painted: addedPainted, dom: addedDom },
            deltasPerRender,
            writeGap,
            rounds: realRuns.map((run, i) => ({
              round: i + 1,
              realPainted: summarize(run.painted),
              barePainted: summarize(bareRuns[i]?.painted ?? new Float64Array()),
              realRenders: run.renders,
              bareRenders: bareRuns[i]?.renders ?? 0,
            })),
          },
          firstLoad: {
            scriptCompressedKb: scriptKb,
            interactive,
            visibleAndEnabled: ready,
            firstContentfulPaint: firstPaint,
            domContentLoaded,
            load: loaded,
            outside,
            bytes: {
              total: bytesOf('total'),
              document: bytesOf('document'),
              script: bytesOf('script'),
              stylesheet: bytesOf('stylesheet'),
              other: bytesOf('other'),
            },
            scripts: last.scripts,
            loads: loads.map((load) => ({
              navigation: load.navigation,
              outsideMs: load.outsideMs,
              requests: load.requests,
              open: load.open,
              bytes: load.bytes,
              scriptCompressedBytes: load.scriptCompressedBytes,
            })),
          },
          consoleErrors: [...new Set(consoleErrors)],
        },
        null,
        2,
      )}\n`,
    );
    console.log(`figures written to ${RESULTS_FILE}`);

    console.log(
      `ui-page: text delta added latency p50 ${ms(addedPainted.p50Ms)} ms p99 ${ms(addedPainted.p99Ms)} ms ` +
        `(real p50 ${ms(realPainted.p50Ms)} / p99 ${ms(realPainted.p99Ms)} ms, bare p50 ${ms(barePainted.p50Ms)} / ` +
        `p99 ${ms(barePainted.p99Ms)} ms); first load script ${scriptKb.toFixed(1)} KB gzip (target < ` +
        `${TARGET_SCRIPT_KB} KB: ${verdict(scriptKb < TARGET_SCRIPT_KB)}), interactive p50 ${ms(interactive.p50Ms)} ms ` +
        `(target < ${TARGET_INTERACTIVE_MS} ms: ${verdict(interactive.p50Ms < TARGET_INTERACTIVE_MS)})`,
    );
    if (modelServer.problems.length > 0 || script.problems.length > 0)
      throw new Broken(`the model server saw: ${[...modelServer.problems, ...script.problems].join('; ')}`);
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(
    `ui-page benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
