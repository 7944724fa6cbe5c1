import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { REPO_ROOT } from '../cli/repo-root.js';
import { systemProbes } from '../doctor/probes.js';
import { formatDoctorReport } from '../doctor/requirements.js';
import { prepareTestMachine } from '../doctor/test-machine.js';
import { ensureSandboxImage } from '../sandbox/ensure-sandbox.js';
import { sandboxBuildMode } from '../sandbox/sandbox.config.js';
import { say } from './output.js';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** vitest writes its JSON report here, so the summary can count tests, not steps. */
  readonly report?: string;
}

const REPORTS = join(REPO_ROOT, 'tests', '.artifacts');

function vitest(project: 'unit' | 'integration' | 'e2e', name: string): Step {
  const report = join(REPORTS, `vitest-${project}.json`);
  return {
    name,
    command: 'npx',
    args: [
      'vitest',
      'run',
      '--project',
      project,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    report,
  };
}

const FULL: readonly Step[] = [
  { name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  { name: 'format', command: 'npm', args: ['run', '--silent', 'format:check'] },
  { name: 'type check', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  vitest('unit', 'unit tests'),
  vitest('integration', 'integration tests'),
  vitest('e2e', 'end-to-end tests'),
];

function run(step: Step): Promise<number> {
  return new Promise((resolve) => {
    // nx.json turns Nx's daemon and cloud off, so the children need nothing but our environment.
    const child = spawn(step.command, [...step.args], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** A step with no report (it crashed before writing one) counts as one failure. */
function countTests(step: Step, code: number): Counts | undefined {
  if (step.report === undefined) return undefined;
  try {
    const report = JSON.parse(readFileSync(step.report, 'utf8')) as {
      numPassedTests?: number;
      numFailedTests?: number;
      numPendingTests?: number;
      numTodoTests?: number;
    };
    return {
      passed: report.numPassedTests ?? 0,
      failed: report.numFailedTests ?? 0,
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    };
  } catch {
    return { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
  }
}

/** Every step runs even after a failure, so one run shows everything that is wrong. */
export async function testCommand(options: { quick: boolean; setup: boolean }): Promise<ExitCode> {
  if (options.setup) {
    const config = loadRuntimeConfig();
    const report = await prepareTestMachine(systemProbes, config.dockerSocket, say);
    say(formatDoctorReport(report));
  }
  // The integration and end-to-end tests run code in the real image; building it inside a test
  // would blow the test's timeout on a fresh machine.
  if (!options.quick) {
    await ensureSandboxImage(loadRuntimeConfig(), say, {
      mode: sandboxBuildMode(),
      installTools: options.setup,
    });
  }
  mkdirSync(REPORTS, { recursive: true });
  const steps = options.quick ? FULL.slice(0, 4) : FULL;
  const results: Array<{ step: Step; code: number; seconds: number; tests: Counts | undefined }> = [];
  for (const step of steps) {
    say(`\n▶ ${step.name}`);
    if (step.report) rmSync(step.report, { force: true });
    const started = Date.now();
    const code = await run(step);
    results.push({ step, code, seconds: (Date.now() - started) / 1000, tests: countTests(step, code) });
  }
  say('\nsummary:');
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const { step, code, seconds, tests } of results) {
    const outcome = code === 0 ? 'passed' : `FAILED (exit ${code})`;
    const counted = tests
      ? ` — ${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped`
      : '';
    say(`  ${outcome}  ${step.name}  ${seconds.toFixed(1)} s${counted}`);
    if (tests) {
      total.passed += tests.passed;
      total.failed += tests.failed;
      total.skipped += tests.skipped;
    }
  }
  const failedSteps = results.filter((r) => r.code !== 0);
  if (failedSteps.length > 0) say(`failed steps: ${failedSteps.map((r) => r.step.name).join(', ')}`);
  // The one closing line CI reads: tests counted across the vitest projects, plus each failed
  // check (lint, format, type check) as one failure, so a red run never reads "0 failed".
  const failed = total.failed + failedSteps.filter((r) => r.tests === undefined).length;
  say(`${total.passed} passed, ${failed} failed, ${total.skipped} skipped`);
  return failedSteps.length === 0 ? EXIT.ok : EXIT.failure;
}
