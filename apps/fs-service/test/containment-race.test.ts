import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { join } from 'node:path';
import { StewardError, type ErrorCode } from '@steward/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite } from '../src/containment/atomic-write.js';
import { readCapped } from '../src/containment/read-capped.js';
import { openInside, type OpenIntent } from '../src/containment/safe-open.js';
import { TaskRoots } from '../src/containment/task-roots.js';
import { expectFileUntouched } from './support/untouched.js';

const SENTINEL = 'OUTSIDE-SENTINEL: a race let the walk escape\n';

/**
 * Runs in its own process so the swaps happen truly in parallel with the walks. `folder` mode swaps
 * an intermediate component (directory ↔ symlink to the outside directory); `file` mode swaps the
 * final component (regular file ↔ symlink to the outside file). Prints how many swaps it made.
 */
const SWAPPER = `
const { renameSync, symlinkSync, unlinkSync } = require('node:fs');
const [mode, entry, aside, linkTemp, outsideTarget, ms] = process.argv.slice(1);
const end = Date.now() + Number(ms);
let swaps = 0;
while (Date.now() < end) {
  renameSync(entry, aside);
  symlinkSync(outsideTarget, linkTemp);
  renameSync(linkTemp, entry);
  swaps += 1;
  if (mode === 'folder') unlinkSync(entry);
  renameSync(aside, entry);
  swaps += 1;
}
process.stdout.write(String(swaps));
`;

function runSwapper(args: string[]): { done: Promise<number>; stop: () => void } {
  const child = spawn(process.execPath, ['-e', SWAPPER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out)) : reject(new Error(`swapper failed: ${err}`)),
    );
  });
  return {
    done,
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}

let base: string;
let work: string;
let outside: string;
let outsideFile: string;
let outsideBefore: Stats;
let roots: TaskRoots;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'steward-race-')));
  work = join(base, 'work');
  outside = join(base, 'outside');
  mkdirSync(join(work, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(work, 'sub/file.txt'), 'inside 0');
  writeFileSync(join(work, 'file.txt'), 'inside 0');
  outsideFile = join(outside, 'file.txt');
  writeFileSync(outsideFile, SENTINEL);
  // An old atime, so that under relatime any read of the outside file would move it.
  const old = Date.now() / 1000 - 3 * 86_400;
  utimesSync(outsideFile, old, old - 86_400);
  outsideBefore = statSync(outsideFile);
  roots = new TaskRoots([work]);
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

interface Tally {
  reads: number;
  writes: number;
  refusals: Map<string, number>;
  escapes: string[];
  untyped: unknown[];
}

function record(tally: Tally, error: unknown): void {
  if (!(error instanceof StewardError)) {
    tally.untyped.push(error);
    return;
  }
  tally.refusals.set(error.code, (tally.refusals.get(error.code) ?? 0) + 1);
}

async function readLoop(path: string, until: () => boolean, tally: Tally): Promise<void> {
  while (!until()) {
    // The walk makes its calls synchronously: let the event loop see the swapper finish.
    await nextTurn();
    try {
      const opened = await openInside(roots, path, { kind: 'read-file' });
      try {
        const text = Buffer.from(await readCapped(opened, { maxBytes: 4096 })).toString('utf8');
        if (!text.startsWith('inside')) tally.escapes.push(`read returned ${JSON.stringify(text)}`);
        tally.reads += 1;
      } finally {
        await opened.close();
      }
    } catch (error) {
      record(tally, error);
    }
  }
}

async function writeLoop(path: string, writer: number, until: () => boolean, tally: Tally): Promise<void> {
  const intent: OpenIntent = { kind: 'write-file' };
  for (let i = 0; !until(); i += 1) {
    await nextTurn();
    try {
      const opened = await openInside(roots, path, intent);
      try {
        const result = await atomicWrite(opened, `inside ${writer}-${i}`);
        if (!result.realPath.startsWith(`${work}/`)) tally.escapes.push(`wrote ${result.realPath}`);
        tally.writes += 1;
      } finally {
        await opened.close();
      }
    } catch (error) {
      record(tally, error);
    }
  }
}

async function race(
  mode: 'folder' | 'file',
  target: string,
  ms: number,
): Promise<{ tally: Tally; swaps: number }> {
  const entry = mode === 'folder' ? join(work, 'sub') : join(work, 'file.txt');
  const swapper = runSwapper([
    mode,
    entry,
    join(work, `${mode}-aside`),
    join(work, `${mode}-link-temp`),
    mode === 'folder' ? outside : outsideFile,
    String(ms),
  ]);
  const tally: Tally = { reads: 0, writes: 0, refusals: new Map(), escapes: [], untyped: [] };
  let finished = false;
  const stopped = swapper.done.finally(() => (finished = true));
  try {
    const until = () => finished;
    await Promise.all([
      readLoop(target, until, tally),
      readLoop(target, until, tally),
      writeLoop(target, 1, until, tally),
      writeLoop(target, 2, until, tally),
    ]);
    return { tally, swaps: await stopped };
  } finally {
    swapper.stop();
  }
}

function expectOutsideUntouched(): void {
  expectFileUntouched(outsideFile, outsideBefore, SENTINEL);
}

function expectOnlyTypedRefusals(tally: Tally, allowed: readonly ErrorCode[]): void {
  expect(tally.untyped).toEqual([]);
  for (const code of tally.refusals.keys()) expect(allowed).toContain(code);
}

describe('containment under a path-swapping race', () => {
  it('never escapes while a folder on the path flips between a directory and a symlink out', async () => {
    const { tally, swaps } = await race('folder', join(work, 'sub/file.txt'), 3500);
    expect(tally.escapes).toEqual([]);
    expectOutsideUntouched();
    expectOnlyTypedRefusals(tally, ['OUTSIDE_ROOT', 'NOT_FOUND', 'UNAVAILABLE']);
    // The race really happened: many swaps, walks that saw the link, and walks that got through.
    expect(swaps).toBeGreaterThan(1000);
    expect(tally.refusals.get('OUTSIDE_ROOT') ?? 0).toBeGreaterThan(0);
    expect(tally.reads).toBeGreaterThan(0);
    expect(tally.writes).toBeGreaterThan(0);
    expect(readdirSync(join(work, 'sub'))).toEqual(['file.txt']);
    console.log(
      `folder race: ${swaps} swaps, ${tally.reads} reads, ${tally.writes} writes, refusals`,
      Object.fromEntries(tally.refusals),
    );
  }, 20_000);

  it('never escapes while the file itself flips between a regular file and a symlink out', async () => {
    const { tally, swaps } = await race('file', join(work, 'file.txt'), 2500);
    expect(tally.escapes).toEqual([]);
    expectOutsideUntouched();
    expectOnlyTypedRefusals(tally, ['OUTSIDE_ROOT', 'NOT_FOUND', 'EXISTS', 'UNAVAILABLE']);
    expect(swaps).toBeGreaterThan(1000);
    expect(tally.refusals.get('OUTSIDE_ROOT') ?? 0).toBeGreaterThan(0);
    expect(tally.reads).toBeGreaterThan(0);
    expect(tally.writes).toBeGreaterThan(0);
    expect(readdirSync(work).filter((name) => name.startsWith('.steward-write-'))).toEqual([]);
    console.log(
      `file race: ${swaps} swaps, ${tally.reads} reads, ${tally.writes} writes, refusals`,
      Object.fromEntries(tally.refusals),
    );
  }, 20_000);
});
