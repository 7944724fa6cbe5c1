// Grep benchmark: fs-service's search engine (searchGrep, in process, on its worker threads)
// against ripgrep (spawned, as a person would run it) on the same generated tree of 50,000 files,
// for a rare word, a common word and a regular expression. Rounds interleave the two tools and
// alternate which goes first, so both see the same machine state.
// Prints figures and writes them to results/grep.json; it never judges wall-clock time, and exits
// non-zero only when something is broken (ripgrep missing, the two disagreeing on what matches).
//
// BENCH_ROUNDS=<n> changes the number of rounds.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchGrep, type GrepResult } from '@steward/app-fs-service/dist/search/grep.js';
import { closeSearchPool } from '@steward/app-fs-service/dist/search/search-pool.js';
import { COMMON_WORD, ensureGrepTree, RARE_WORD } from './support/grep-tree.js';
import { median } from './support/stats.js';

const TARGET_RATIO = 2;
const ROUNDS = positiveInteger(process.env.BENCH_ROUNDS, 7);
const RIPGREP = existsSync('/usr/bin/rg') ? '/usr/bin/rg' : 'rg';
const PATTERNS = [
  { label: 'rare literal', pattern: RARE_WORD },
  { label: 'common literal', pattern: COMMON_WORD },
  { label: 'regex', pattern: '\\b[A-Z]{3}-\\d{4}-\\d{2}\\b' },
] as const;
type PatternLabel = (typeof PATTERNS)[number]['label'];

/**
 * ripgrep made to skip exactly what Steward skips: hidden files are searched (--hidden), the
 * .gitignore at the top is honoured (the tree has a .git folder, so ripgrep reads it) and no other
 * ignore source is (parents', global, .git/info/exclude, .ignore/.rgignore, any config file),
 * and the always-ignored names are excluded by glob. Both skip binary files (a NUL near the start)
 * and do not follow symlinks. ripgrep prints every matching line; Steward returns the first 500
 * and counts the rest, which the check below compares.
 */
const RIPGREP_FLAGS = [
  '--line-number',
  '--hidden',
  '--no-config',
  '--no-ignore-parent',
  '--no-ignore-global',
  '--no-ignore-exclude',
  '--no-ignore-dot',
  '--glob',
  '!{.git,node_modules,.venv,__pycache__}/',
  '--glob',
  '!.DS_Store',
];
const RESULTS_FILE = fileURLToPath(new URL('../results/grep.json', import.meta.url));

interface Sample {
  readonly stewardMs: number;
  readonly ripgrepMs: number;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
}

/** Runs ripgrep; resolves to its wall time and the number of lines it printed. */
function ripgrep(pattern: string, root: string): Promise<{ ms: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(RIPGREP, [...RIPGREP_FLAGS, '--regexp', pattern, root], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines++;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      // 1 is ripgrep's "no match"; anything else is a failure.
      if (code === 0 || code === 1) resolve({ ms, lines });
      else reject(new Error(`ripgrep exited with code ${String(code)}`));
    });
  });
}

async function steward(pattern: string, root: string): Promise<{ ms: number; result: GrepResult }> {
  const started = performance.now();
  const result = await searchGrep({ roots: [root], pattern });
  return { ms: performance.now() - started, result };
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const ratio = (value: number) => `${value.toFixed(2)}x`;

async function main(): Promise<void> {
  const version = spawnSync(RIPGREP, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0)
    throw new Error(`ripgrep is not installed (${RIPGREP}); install the Debian package ripgrep`);
  const tree = ensureGrepTree();
  console.log(
    `tree: ${tree.files.toLocaleString('en')} files, ${(tree.bytes / 1024 / 1024).toFixed(1)} MiB, at ${tree.root} ` +
      (tree.generatedMs === undefined
        ? '(cached)'
        : `(generated in ${(tree.generatedMs / 1000).toFixed(1)} s)`),
  );
  console.log(
    `  ${Object.entries(tree.composition)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ')}`,
  );
  console.log(`ripgrep: ${version.stdout.split('\n')[0] ?? ''}, flags ${RIPGREP_FLAGS.join(' ')}`);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}`);

  // The first search starts the worker threads (the service keeps them while searches come).
  const cold = await steward(RARE_WORD, tree.root);
  const checks = new Map<PatternLabel, { steward: GrepResult; ripgrepLines: number }>();
  for (const { label, pattern } of PATTERNS) {
    const [ours, theirs] = [await steward(pattern, tree.root), await ripgrep(pattern, tree.root)];
    if (ours.result.totalMatches !== theirs.lines) {
      throw new Error(
        `${label} /${pattern}/: Steward counts ${ours.result.totalMatches} matching lines, ripgrep prints ${theirs.lines}`,
      );
    }
    checks.set(label, { steward: ours.result, ripgrepLines: theirs.lines });
  }

  const samples = new Map<PatternLabel, Sample[]>(PATTERNS.map(({ label }) => [label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    (globalThis as { gc?: () => void }).gc?.();
    for (const { label, pattern } of PATTERNS) {
      let stewardMs: number;
      let ripgrepMs: number;
      if (round % 2 === 0) {
        stewardMs = (await steward(pattern, tree.root)).ms;
        ripgrepMs = (await ripgrep(pattern, tree.root)).ms;
      } else {
        ripgrepMs = (await ripgrep(pattern, tree.root)).ms;
        stewardMs = (await steward(pattern, tree.root)).ms;
      }
      samples.get(label)?.push({ stewardMs, ripgrepMs });
    }
  }

  console.log(
    `\n${'pattern'.padEnd(16)}${'lines'.padStart(9)}${'steward p50'.padStart(14)}${'ripgrep p50'.padStart(14)}${'ratio'.padStart(8)}`,
  );
  const perPattern = PATTERNS.map(({ label, pattern }) => {
    const rows = samples.get(label) ?? [];
    const stewardP50 = median(rows.map((row) => row.stewardMs));
    const ripgrepP50 = median(rows.map((row) => row.ripgrepMs));
    const check = checks.get(label);
    console.log(
      `${label.padEnd(16)}${String(check?.ripgrepLines ?? '').padStart(9)}${ms(stewardP50).padStart(14)}` +
        `${ms(ripgrepP50).padStart(14)}${ratio(stewardP50 / ripgrepP50).padStart(8)}`,
    );
    return {
      label,
      pattern,
      matchingLines: check?.ripgrepLines,
      stewardP50Ms: stewardP50,
      ripgrepP50Ms: ripgrepP50,
      samples: rows,
    };
  });
  const first = checks.get('rare literal')?.steward;
  if (first !== undefined) {
    console.log(
      `steward per search: ${first.filesScanned} files scanned, skipped ${JSON.stringify(first.filesSkipped)}; ` +
        `cold start (first search, workers starting) ${ms(cold.ms)}`,
    );
  }
  // One search of each pattern per round: the overall figure is the median over rounds of their mean.
  const roundMean = (pick: (sample: Sample) => number) =>
    median(
      Array.from({ length: ROUNDS }, (_, round) => {
        const times = PATTERNS.map(({ label }) => samples.get(label)?.[round]).map((sample) =>
          sample ? pick(sample) : Number.NaN,
        );
        return times.reduce((sum, value) => sum + value, 0) / times.length;
      }),
    );
  const stewardP50 = roundMean((sample) => sample.stewardMs);
  const ripgrepP50 = roundMean((sample) => sample.ripgrepMs);
  console.log(
    `figures: median over ${ROUNDS} interleaved rounds; overall: median over rounds of the mean over patterns`,
  );

  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        benchmark: 'grep',
        finishedAt: new Date().toISOString(),
        environment: {
          node: process.version,
          ripgrep: version.stdout.split('\n')[0],
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
        },
        tree: { root: tree.root, files: tree.files, bytes: tree.bytes, composition: tree.composition },
        settings: { rounds: ROUNDS, ripgrepFlags: RIPGREP_FLAGS, targetRatio: TARGET_RATIO },
        coldStartMs: cold.ms,
        perPattern,
        overall: { stewardP50Ms: stewardP50, ripgrepP50Ms: ripgrepP50, ratio: stewardP50 / ripgrepP50 },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`figures written to ${RESULTS_FILE}`);
  const overall = stewardP50 / ripgrepP50;
  console.log(
    `grep: steward p50 ${ms(stewardP50)} vs ripgrep ${ms(ripgrepP50)} (${ratio(overall)}); target ≤ ${TARGET_RATIO}x` +
      (overall <= TARGET_RATIO ? '' : ' (over target)'),
  );
}

main()
  .catch((error: unknown) => {
    console.error(
      `grep benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  })
  .finally(() => closeSearchPool());
