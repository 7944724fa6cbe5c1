import { spawn } from 'node:child_process';
import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { REPO_ROOT } from '../cli/repo-root.js';
import { systemProbes } from '../doctor/probes.js';
import { formatDoctorReport } from '../doctor/requirements.js';
import { prepareTestMachine } from '../doctor/test-machine.js';
import { say } from './output.js';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

const FULL: readonly Step[] = [
  { name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  { name: 'format', command: 'npm', args: ['run', '--silent', 'format:check'] },
  { name: 'type check', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'unit tests', command: 'npx', args: ['vitest', 'run', '--project', 'unit'] },
  { name: 'integration tests', command: 'npx', args: ['vitest', 'run', '--project', 'integration'] },
  { name: 'end-to-end tests', command: 'npx', args: ['vitest', 'run', '--project', 'e2e'] },
];

function run(step: Step): Promise<number> {
  return new Promise((resolve) => {
    // nx.json turns Nx's daemon and cloud off, so the children need nothing but our environment.
    const child = spawn(step.command, [...step.args], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Every step runs even after a failure, so one run shows everything that is wrong. */
export async function testCommand(options: { quick: boolean; setup: boolean }): Promise<ExitCode> {
  if (options.setup) {
    const config = loadRuntimeConfig();
    const report = await prepareTestMachine(systemProbes, config.dockerSocket, say);
    say(formatDoctorReport(report));
  }
  const steps = options.quick ? FULL.slice(0, 4) : FULL;
  const results: Array<{ step: Step; code: number; seconds: number }> = [];
  for (const step of steps) {
    say(`\n▶ ${step.name}`);
    const started = Date.now();
    const code = await run(step);
    results.push({ step, code, seconds: (Date.now() - started) / 1000 });
  }
  say('\nsummary:');
  for (const { step, code, seconds } of results) {
    say(`  ${code === 0 ? 'passed' : `FAILED (exit ${code})`}  ${step.name}  ${seconds.toFixed(1)} s`);
  }
  const failed = results.filter((r) => r.code !== 0).length;
  say(`${steps.length - failed} passed, ${failed} failed`);
  return failed === 0 ? EXIT.ok : EXIT.failure;
}
