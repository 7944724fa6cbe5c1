import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The engine runs worker threads from its compiled files, so the tests load dist/.
const dist = new URL('../dist/search/', import.meta.url);
if (!existsSync(new URL('search.worker.js', dist))) {
  throw new Error('build fs-service first: npx tsc -b apps/fs-service');
}
const { searchGrep } = (await import(
  new URL('grep.js', dist).href
)) as typeof import('../dist/search/grep.js');
const { searchGlob } = (await import(
  new URL('glob.js', dist).href
)) as typeof import('../dist/search/glob.js');
const { closeSearchPool } = (await import(
  new URL('search-pool.js', dist).href
)) as typeof import('../dist/search/search-pool.js');

const folders: string[] = [];

/** A fresh folder under the system temp folder, as its real path (what the engine is given). */
function tempFolder(label: string): string {
  const folder = realpathSync(mkdtempSync(join(tmpdir(), `steward-search-${label}-`)));
  folders.push(folder);
  return folder;
}

/** Writes files given by path relative to root, creating folders on the way. */
function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [relative, content] of Object.entries(files)) {
    const path = join(root, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** The code a search is refused with (read as a field: dist has its own StewardError class). */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
  throw new Error('expected the search to be refused');
}

/** Lines that make `(a+)+$` backtrack for longer than any test runs. */
const CATASTROPHIC = `${'a'.repeat(40)}!\n`;
const BACKTRACKING_PATTERN = '(a+)+$';

afterAll(async () => {
  await closeSearchPool();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('grep over a real folder', () => {
  let root: string;
  let outside: string;

  beforeAll(() => {
    outside = tempFolder('outside');
    writeTree(outside, { 'sentinel.txt': 'needle SENTINEL\n', 'inside/more.txt': 'needle SENTINEL\n' });
    root = tempFolder('root');
    writeTree(root, {
      'a.txt': 'alpha\nneedle one\n',
      'b/c.md': 'needle two\nnothing\nneedle three\r\n',
      'b/d.txt': 'x\n',
      'b-e.txt': 'needle four\n',
      'late-nul.txt': Buffer.concat([Buffer.from(`needle late\n${'x'.repeat(9_000)}`), Buffer.from([0])]),
      'image.bin': Buffer.concat([Buffer.from('needle\n'), Buffer.from([0, 1, 2])]),
      '.git/config': 'needle git\n',
      'node_modules/pkg/index.js': 'needle node_modules\n',
      '.venv/lib/site.py': 'needle venv\n',
      '__pycache__/m.pyc': 'needle pycache\n',
      '.DS_Store': 'needle ds\n',
      '.gitignore': '*.log\nbuild/\nsecret.txt\n',
      'app.log': 'needle log\n',
      'build/out.txt': 'needle build\n',
      'sub/secret.txt': 'needle secret\n',
    });
    symlinkSync(outside, join(root, 'link-dir'));
    symlinkSync(join(outside, 'sentinel.txt'), join(root, 'link-file.txt'));
    symlinkSync(join(root, 'b'), join(root, 'link-inside'));
    execFileSync('mkfifo', [join(root, 'pipe.txt')]);
  });

  it('returns every matching line with absolute path, line and column, sorted by path then line', async () => {
    const result = await searchGrep({ roots: [root], pattern: 'needle' });
    expect(result.matches).toEqual([
      { path: join(root, 'a.txt'), line: 2, column: 1, text: 'needle one' },
      { path: join(root, 'b/c.md'), line: 1, column: 1, text: 'needle two' },
      { path: join(root, 'b/c.md'), line: 3, column: 1, text: 'needle three' },
      { path: join(root, 'b-e.txt'), line: 1, column: 1, text: 'needle four' },
      { path: join(root, 'late-nul.txt'), line: 1, column: 1, text: 'needle late' },
    ]);
    expect(result.totalMatches).toBe(5);
    expect(result.filesWithMatches).toBe(4);
    expect(result.truncated).toBe(false);
    expect(result.reason).toBeUndefined();
  });

  it('gives the same lines through the regex route', async () => {
    const literal = await searchGrep({ roots: [root], pattern: 'needle' });
    const regex = await searchGrep({ roots: [root], pattern: 'need+le' });
    expect(regex.matches).toEqual(literal.matches);
  });

  it('skips binary files, ignored folders and files, symlinks and FIFOs, and counts each', async () => {
    const result = await searchGrep({ roots: [root], pattern: 'needle' });
    expect(result.filesSkipped).toEqual({
      binary: 1,
      tooLarge: 0,
      // .git node_modules .venv __pycache__ .DS_Store, then app.log build/ sub/secret.txt
      ignored: 8,
      symlinks: 3,
      special: 1,
      unreadable: 0,
      timedOut: 0,
    });
    // a.txt b/c.md b/d.txt b-e.txt late-nul.txt .gitignore
    expect(result.filesScanned).toBe(6);
  });

  it('never follows a symlink out of the folder: the sentinel outside never appears', async () => {
    for (const pattern of ['SENTINEL', 'needle', '.']) {
      const result = await searchGrep({ roots: [root], pattern });
      for (const match of result.matches) {
        expect(match.path.startsWith(`${root}/`)).toBe(true);
        expect(match.text).not.toContain('SENTINEL');
        expect(match.path).not.toContain('link-');
      }
    }
    expect((await searchGrep({ roots: [root], pattern: 'SENTINEL' })).totalMatches).toBe(0);
  });

  it('filters files by a name glob at any depth, or by a path glob from the folder searched', async () => {
    const byName = await searchGrep({ roots: [root], pattern: 'needle', glob: '*.md' });
    expect(byName.matches.map((match) => match.path)).toEqual([join(root, 'b/c.md'), join(root, 'b/c.md')]);
    const byPath = await searchGrep({ roots: [root], pattern: 'needle', glob: '{a,b-e}.txt' });
    expect(byPath.matches.map((match) => match.path)).toEqual([join(root, 'a.txt'), join(root, 'b-e.txt')]);
    const nested = await searchGrep({ roots: [root], base: join(root, 'b'), pattern: '.', glob: 'b/*' });
    expect(nested.totalMatches).toBe(0);
    const fromBase = await searchGrep({ roots: [root], base: root, pattern: 'needle', glob: 'b/*.md' });
    expect(fromBase.totalMatches).toBe(2);
  });

  it('searches only the given folder or file when base is set', async () => {
    const folder = await searchGrep({ roots: [root], base: join(root, 'b'), pattern: 'needle' });
    expect(folder.matches.map((match) => match.line)).toEqual([1, 3]);
    const file = await searchGrep({ roots: [root], base: join(root, 'a.txt'), pattern: 'needle' });
    expect(file.matches).toEqual([{ path: join(root, 'a.txt'), line: 2, column: 1, text: 'needle one' }]);
    // A file asked for by name is searched even where the ignore rules would skip it.
    const ignoredFile = await searchGrep({ roots: [root], base: join(root, 'app.log'), pattern: 'needle' });
    expect(ignoredFile.totalMatches).toBe(1);
  });

  it('counts a FIFO or symlink given as base as skipped, without opening it', async () => {
    const fifo = await searchGrep({ roots: [root], base: join(root, 'pipe.txt'), pattern: 'x' });
    expect(fifo.filesSkipped.special).toBe(1);
    expect(fifo.filesScanned).toBe(0);
    const link = await searchGrep({ roots: [root], base: join(root, 'link-file.txt'), pattern: 'needle' });
    expect(link.filesSkipped.symlinks).toBe(1);
    expect(link.matches).toEqual([]);
  });

  it('refuses a base outside the roots, compared by path segments', async () => {
    const sibling = `${root}-secrets`;
    mkdirSync(sibling);
    folders.push(sibling);
    expect(await rejectionCode(searchGrep({ roots: [root], base: sibling, pattern: 'x' }))).toBe(
      'OUTSIDE_ROOT',
    );
    expect(await rejectionCode(searchGrep({ roots: [root], base: outside, pattern: 'x' }))).toBe(
      'OUTSIDE_ROOT',
    );
    expect(
      await rejectionCode(searchGrep({ roots: [root], base: join(root, 'missing'), pattern: 'x' })),
    ).toBe('NOT_FOUND');
    expect(await rejectionCode(searchGrep({ roots: [root], base: `${root}/b/../..`, pattern: 'x' }))).toBe(
      'INVALID_INPUT',
    );
    const throughLink = join(root, 'link-dir', 'sentinel.txt');
    expect(await rejectionCode(searchGrep({ roots: [root], base: throughLink, pattern: 'x' }))).toBe(
      'OUTSIDE_ROOT',
    );
    const unresolvedRoot = join(root, 'link-inside');
    expect(await rejectionCode(searchGrep({ roots: [unresolvedRoot], pattern: 'x' }))).toBe('INVALID_INPUT');
  });

  it('refuses an invalid regular expression or glob with INVALID_INPUT', async () => {
    expect(await rejectionCode(searchGrep({ roots: [root], pattern: '(unclosed' }))).toBe('INVALID_INPUT');
    expect(await rejectionCode(searchGrep({ roots: [root], pattern: 'a', glob: '/etc/*' }))).toBe(
      'INVALID_INPUT',
    );
    expect(await rejectionCode(searchGrep({ roots: [root], pattern: 'a', limits: { maxResults: 0 } }))).toBe(
      'INVALID_INPUT',
    );
  });
});

describe('grep limits', () => {
  it('caps the matches returned, keeps the first in order, and reports exact totals', async () => {
    const root = tempFolder('caps');
    const files: Record<string, string> = {};
    for (let index = 0; index < 20; index++) {
      files[`f${String(index).padStart(2, '0')}/doc.txt`] = 'hit\nmiss\nhit\n';
    }
    writeTree(root, files);
    const result = await searchGrep({ roots: [root], pattern: 'hit', limits: { maxResults: 5 } });
    expect(result.matches.map((match) => `${match.path.slice(root.length)}:${match.line}`)).toEqual([
      '/f00/doc.txt:1',
      '/f00/doc.txt:3',
      '/f01/doc.txt:1',
      '/f01/doc.txt:3',
      '/f02/doc.txt:1',
    ]);
    expect(result.totalMatches).toBe(40);
    expect(result.filesWithMatches).toBe(20);
    expect(result.truncated).toBe(true);
    expect(result.reason).toBe('result-limit');
  });

  it('skips files over the size limit and names them', async () => {
    const root = tempFolder('large');
    writeTree(root, { 'big.txt': `needle\n${'x'.repeat(4_000)}`, 'small.txt': 'needle\n' });
    const result = await searchGrep({ roots: [root], pattern: 'needle', limits: { maxFileBytes: 1_024 } });
    expect(result.totalMatches).toBe(1);
    expect(result.filesSkipped.tooLarge).toBe(1);
    expect(result.notableSkips).toEqual([{ path: join(root, 'big.txt'), reason: 'too-large', bytes: 4_007 }]);
  });

  it('cuts long lines to a window around the match', async () => {
    const root = tempFolder('long-line');
    writeTree(root, { 'min.js': `${'x'.repeat(10_000)}needle${'y'.repeat(10_000)}\n` });
    const [match] = (await searchGrep({ roots: [root], pattern: 'needle' })).matches;
    expect(match?.column).toBe(10_001);
    expect(match?.text.length).toBeLessThanOrEqual(300);
    expect(match?.text).toContain('needle');
  });

  it('stops a regular expression that backtracks without end and still searches the rest', async () => {
    const root = tempFolder('stall');
    writeTree(root, { 'ok.txt': 'banana\n', 'z/evil.txt': CATASTROPHIC, 'zz/ok.txt': 'papaya\n' });
    const result = await searchGrep({
      roots: [root],
      pattern: BACKTRACKING_PATTERN,
      limits: { fileTimeMs: 300 },
    });
    expect(result.matches.map((match) => match.path)).toEqual([
      join(root, 'ok.txt'),
      join(root, 'zz/ok.txt'),
    ]);
    expect(result.filesSkipped.timedOut).toBe(1);
    expect(result.notableSkips).toEqual([{ path: join(root, 'z/evil.txt'), reason: 'timed-out' }]);
    expect(result.truncated).toBe(false);
    // The pool replaced the stuck worker: the next search runs normally.
    expect((await searchGrep({ roots: [root], pattern: 'papaya' })).totalMatches).toBe(1);
  });

  it('returns what it found, marked truncated, when the time budget runs out', async () => {
    const root = tempFolder('budget');
    writeTree(root, { 'ok.txt': 'banana\n', 'z/evil.txt': CATASTROPHIC });
    const started = Date.now();
    const result = await searchGrep({
      roots: [root],
      pattern: BACKTRACKING_PATTERN,
      limits: { timeBudgetMs: 1_000, fileTimeMs: 120_000 },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.truncated).toBe(true);
    expect(result.reason).toBe('time-limit');
    expect(result.matches.map((match) => match.path)).toEqual([join(root, 'ok.txt')]);
  });

  it('stops at once when aborted, even inside a runaway regular expression', async () => {
    const root = tempFolder('abort');
    writeTree(root, { 'evil.txt': CATASTROPHIC, 'ok.txt': 'banana\n' });
    const controller = new AbortController();
    const search = searchGrep({
      roots: [root],
      pattern: BACKTRACKING_PATTERN,
      signal: controller.signal,
      limits: { fileTimeMs: 120_000, timeBudgetMs: 120_000 },
    });
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    expect(await rejectionCode(search)).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await searchGrep({ roots: [root], pattern: 'banana' })).totalMatches).toBe(1);
  });

  it('refuses to start when the signal has already aborted', async () => {
    const root = tempFolder('aborted');
    expect(
      await rejectionCode(searchGrep({ roots: [root], pattern: 'x', signal: AbortSignal.abort() })),
    ).toBe('CANCELLED');
  });
});

describe('grep across roots and searches', () => {
  it('searches every root, sorted together, a nested root only once', async () => {
    const first = tempFolder('first');
    const second = tempFolder('second');
    writeTree(first, { 'x.txt': 'shared\n', 'nested/y.txt': 'shared\n' });
    writeTree(second, { 'z.txt': 'shared\n' });
    const roots = [second, join(first, 'nested'), first];
    const result = await searchGrep({ roots, pattern: 'shared' });
    const expected = [join(first, 'nested/y.txt'), join(first, 'x.txt'), join(second, 'z.txt')].sort(
      (a, b) => (a < b ? -1 : 1),
    );
    expect(result.matches.map((match) => match.path).sort((a, b) => (a < b ? -1 : 1))).toEqual(expected);
    expect(result.totalMatches).toBe(3);
  });

  it('runs concurrent searches on the shared workers without mixing their results', async () => {
    const root = tempFolder('concurrent');
    const files: Record<string, string> = {};
    for (let index = 0; index < 300; index++)
      files[`d${index % 30}/f${index}.txt`] = `apple ${index}\npear\n`;
    writeTree(root, files);
    const [apples, pears, none] = await Promise.all([
      searchGrep({ roots: [root], pattern: 'apple' }),
      searchGrep({ roots: [root], pattern: 'pear', limits: { maxResults: 10 } }),
      searchGrep({ roots: [root], pattern: 'plum' }),
    ]);
    expect(apples.totalMatches).toBe(300);
    expect(apples.matches.every((match) => match.text.startsWith('apple'))).toBe(true);
    expect(pears.totalMatches).toBe(300);
    expect(pears.matches).toHaveLength(10);
    expect(pears.matches.every((match) => match.text === 'pear')).toBe(true);
    expect(none.totalMatches).toBe(0);
  });

  it('shares a large folder among workers and still finds every file', async () => {
    const root = tempFolder('wide');
    const files: Record<string, string> = {};
    for (let index = 0; index < 2_000; index++) files[`f${index}.txt`] = index % 2 === 0 ? 'even\n' : 'odd\n';
    writeTree(root, files);
    const result = await searchGrep({ roots: [root], pattern: 'even', limits: { maxResults: 2_000 } });
    expect(result.totalMatches).toBe(1_000);
    expect(new Set(result.matches.map((match) => match.path)).size).toBe(1_000);
    expect(result.filesScanned).toBe(2_000);
  });

  it('never escapes while a folder on the way is swapped for a symlink to outside, over and over', async () => {
    const root = tempFolder('race');
    const outside = tempFolder('race-outside');
    const files: Record<string, string> = {};
    const secrets: Record<string, string> = {};
    for (let index = 0; index < 800; index++) {
      files[`docs/s${index % 40}/note${index}.txt`] = 'needle inside\n';
      secrets[`s${index % 40}/note${index}.txt`] = 'needle SENTINEL\n';
    }
    writeTree(root, files);
    writeTree(outside, secrets);
    const docs = join(root, 'docs');
    const parked = join(root, 'parked');
    // A thread of its own swaps docs for a symlink thousands of times a second, each state held
    // for ~50 µs, so swaps land between the walk's checks and its uses.
    const control = new Int32Array(new SharedArrayBuffer(8));
    const swapper = new Worker(
      `const { renameSync, symlinkSync, unlinkSync } = require('node:fs');
       const { docs, parked, outside, control } = require('node:worker_threads').workerData;
       const flags = new Int32Array(control);
       const pause = () => Atomics.wait(flags, 0, 0, 0.05);
       while (Atomics.load(flags, 0) === 0) {
         renameSync(docs, parked);
         symlinkSync(outside, docs);
         pause();
         unlinkSync(docs);
         renameSync(parked, docs);
         pause();
         Atomics.add(flags, 1, 1);
       }`,
      { eval: true, workerData: { docs, parked, outside, control: control.buffer } },
    );
    const stopped = once(swapper, 'exit');
    let found = 0;
    try {
      for (let round = 0; round < 100; round++) {
        const result = await searchGrep({ roots: [root], pattern: 'needle' });
        found += result.totalMatches;
        for (const match of result.matches) {
          expect(match.text).toBe('needle inside');
          expect(match.path.startsWith(`${docs}/`) || match.path.startsWith(`${parked}/`)).toBe(true);
        }
      }
    } finally {
      Atomics.store(control, 0, 1);
      await stopped;
    }
    expect(Atomics.load(control, 1)).toBeGreaterThan(200);
    expect(found).toBeGreaterThan(0);
  });
});

describe('glob over a real folder', () => {
  let root: string;

  beforeAll(() => {
    const outside = tempFolder('glob-outside');
    writeTree(outside, { 'file.md': 'x', 'dir/inside.md': 'x' });
    root = tempFolder('glob');
    writeTree(root, {
      'readme.md': '',
      'docs/a.md': '',
      'docs/b.txt': '',
      'docs/deep/c.md': '',
      'node_modules/x.md': '',
      '.git/y.md': '',
      'build/z.md': '',
      '.hidden/h.md': '',
      '.gitignore': 'build/\n',
    });
    symlinkSync(join(outside, 'file.md'), join(root, 'link.md'));
    symlinkSync(join(outside, 'dir'), join(root, 'linkdir'));
    execFileSync('mkfifo', [join(root, 'fifo.md')]);
  });

  it('finds files at any depth with **, sorted, absolute, symlinks listed as such and not entered', async () => {
    const result = await searchGlob({ roots: [root], pattern: '**/*.md' });
    expect(result.paths).toEqual([
      { path: join(root, '.hidden/h.md'), kind: 'file' },
      { path: join(root, 'docs/a.md'), kind: 'file' },
      { path: join(root, 'docs/deep/c.md'), kind: 'file' },
      { path: join(root, 'link.md'), kind: 'symlink' },
      { path: join(root, 'readme.md'), kind: 'file' },
    ]);
    expect(result.totalMatches).toBe(5);
    expect(result.truncated).toBe(false);
    // node_modules, .git and build/ (from .gitignore)
    expect(result.ignored).toBe(3);
  });

  it('matches relative to the folder searched: * stays in it, {a,b} picks alternatives', async () => {
    const top = await searchGlob({ roots: [root], pattern: '*.md' });
    expect(top.paths.map((entry) => entry.path)).toEqual([join(root, 'link.md'), join(root, 'readme.md')]);
    const both = await searchGlob({ roots: [root], pattern: 'docs/*.{md,txt}' });
    expect(both.paths.map((entry) => entry.path)).toEqual([
      join(root, 'docs/a.md'),
      join(root, 'docs/b.txt'),
    ]);
    const fromBase = await searchGlob({ roots: [root], base: join(root, 'docs'), pattern: '*.md' });
    expect(fromBase.paths.map((entry) => entry.path)).toEqual([join(root, 'docs/a.md')]);
  });

  it('caps the paths returned and reports the total', async () => {
    const wide = tempFolder('glob-wide');
    const files: Record<string, string> = {};
    for (let index = 0; index < 1_200; index++)
      files[`d${index % 12}/f${String(index).padStart(4, '0')}.csv`] = '';
    writeTree(wide, files);
    const result = await searchGlob({ roots: [wide], pattern: '**/*.csv' });
    expect(result.paths).toHaveLength(1_000);
    expect(result.totalMatches).toBe(1_200);
    expect(result.truncated).toBe(true);
    expect(result.reason).toBe('result-limit');
    expect(result.paths[0]?.path).toBe(join(wide, 'd0/f0000.csv'));
  });

  it('refuses patterns that reach outside, and a base that is not a folder', async () => {
    expect(await rejectionCode(searchGlob({ roots: [root], pattern: '../*' }))).toBe('INVALID_INPUT');
    expect(await rejectionCode(searchGlob({ roots: [root], pattern: '/etc/*' }))).toBe('INVALID_INPUT');
    expect(
      await rejectionCode(searchGlob({ roots: [root], base: join(root, 'readme.md'), pattern: '*' })),
    ).toBe('INVALID_INPUT');
  });
});
