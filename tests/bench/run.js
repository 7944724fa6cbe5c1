// `npm run bench`: builds the benchmarks (and, through project references, the libraries they
// measure), then runs every `*.bench.ts` / `*.bench.mjs` in this folder one after another, each in
// its own Node process. Benchmarks print figures; this runner fails only when one of them breaks.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs a command with inherited output; resolves to its exit code (or 1 when killed by a signal). */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: root, ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const filter = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((name) => /\.bench\.(ts|mjs)$/.test(name))
  .filter((name) => filter.length === 0 || filter.some((word) => name.includes(word)))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark in ${relative(root, here)} matches ${filter.join(' ') || '*.bench.ts'}`);
  process.exit(1);
}

if (benches.some((name) => name.endsWith('.ts'))) {
  const built = await run(process.execPath, [tsc, '-b', join(here, 'tsconfig.json')]);
  if (built !== 0) {
    console.error('bench: the benchmarks (or a library they measure) do not compile');
    process.exit(built);
  }
}

const failed = [];
for (const name of benches) {
  const script = name.endsWith('.ts') ? join(here, 'dist', name.replace(/\.ts$/, '.js')) : join(here, name);
  console.log(`\n=== ${name} ===`);
  // --expose-gc lets a benchmark collect garbage between measured phases, not inside them.
  const code = await run(process.execPath, ['--expose-gc', script]);
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}

if (failed.length > 0) {
  console.error(`\nbench: broken: ${failed.join(', ')}`);
  process.exit(1);
}
