import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { taskViewSchema } from '@steward/contracts';
import { httpError, reply, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../../../tests/support/agent-stack.js';
import {
  CLI_ENTRY,
  freePorts,
  REPO_ROOT,
  runCli,
  type CliResult,
  type Stack,
} from '../../../tests/support/stack.js';
import { eventually } from '../../../tests/support/tasks.js';

/*
 * `steward run` as a person (or a script) uses it: the real CLI as a child process against a real
 * stack, with a local server speaking the Messages API in place of the model.
 */

const API_KEY = 'sk-ant-cli-run-test-key';

interface RunOptions {
  /** Written to stdin, which then ends (it is a pipe either way, never a terminal). */
  readonly stdin?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Called with all of stderr so far, each time more arrives. */
  readonly onStderr?: (stderr: string, signal: (name: NodeJS.Signals) => void) => void;
  readonly timeoutMs?: number;
}

describe('steward run', () => {
  let agent: AgentStack;
  let stack: Stack;
  let script: AgentStack['script'];
  /** Homes of the "no stack here" cases. */
  const dirs: string[] = [];
  const folder = (files?: Record<string, string>): string => agent.folder(files, 'steward-run-');

  function run(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_ENTRY, 'run', ...args], {
        cwd: REPO_ROOT,
        env: options.env ?? stack.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      // No stdin given: it ends at once, as for a command run from a script with nothing piped in.
      child.stdin.end(options.stdin ?? '');
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        options.onStderr?.(stderr, (name) => child.kill(name));
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** An environment for a home with no stack in it, on a port nothing listens on. */
  async function scratchEnv(): Promise<{ env: Record<string, string>; home: string }> {
    const home = mkdtempSync(join(tmpdir(), 'steward-run-home-'));
    dirs.push(home);
    const [port] = await freePorts(1);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && !key.startsWith('STEWARD_')) env[key] = value;
    Object.assign(env, { STEWARD_HOME: home, STEWARD_PORT: String(port) });
    return { env, home };
  }

  const taskIdIn = (stderr: string): string => /Task (t_[A-Za-z0-9_-]+) started/.exec(stderr)?.[1] ?? '';

  beforeAll(async () => {
    agent = await startAgentStack({ apiKey: API_KEY });
    ({ stack, script } = agent);
  }, 180_000);

  afterEach(() => {
    expect(agent.newProblems()).toEqual([]);
  });

  afterAll(async () => {
    await agent?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file, writes one after a "y" piped to stdin, streams the answer, exits 0', async () => {
    const dir = folder({ 'notes.md': '# Notes\n- revenue up 12%\n' });
    script.add('[cli-write]', [
      reply([text('Reading the notes first.'), toolUse('read_file', { path: join(dir, 'notes.md') })]),
      (request) => {
        const line = /revenue up \d+%/.exec(request.toolResults[0]?.content ?? '')?.[0] ?? 'nothing';
        return toolUse('write_file', { path: join(dir, 'summary.md'), content: `Summary: ${line}\n` });
      },
      text('The summary is in summary.md.'),
    ]);
    const result = await run(['[cli-write] Summarize my notes', '--folder', dir, '--approve', 'ask'], {
      stdin: 'y\n',
    });
    expect(result.stderr).not.toMatch(/steward: /);
    expect(result.code).toBe(0);
    // Both model turns' text, streamed as it came: the first never was a final answer.
    expect(result.stdout).toBe('Reading the notes first.\nThe summary is in summary.md.\n');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe('Summary: revenue up 12%\n');
    expect(result.stderr).toContain('approval needed for write_file');
    expect(result.stderr).toContain(`  Write ${join(dir, 'summary.md')}`);
    expect(result.stderr).toContain('Allow? [y]es / [n]o / [a]lways for this task: y\nAllowed.\n');
    expect(result.stderr).toContain(`  ✓ read_file ${join(dir, 'notes.md')}`);
    expect(result.stderr).toMatch(/Completed in \d+ s\./);
    expect(result.stderr).toContain(`Files changed (1):\n  ${join(dir, 'summary.md')}\n`);
    expect(result.stderr).toMatch(/Tokens: [\d,]+ in.*, [\d,]+ out · cost \$\d+\.\d+/);
    // Without a terminal: plain lines, nothing rewritten in place.
    expect(result.stderr).not.toMatch(/[\r\x1b]/);
  });

  it('gives a denied approval ("n") back to the model and prints its reply, exit 0', async () => {
    const dir = folder();
    script.add('[cli-deny]', [
      toolUse('run_command', { command: 'touch should-not-exist' }),
      (request) => text(`Understood: ${request.toolResults[0]?.isError ? 'not run' : 'it ran'}.`),
    ]);
    const result = await run(['[cli-deny] make a file', '--folder', dir, '--approve', 'ask'], {
      stdin: 'n\n',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Understood: not run.\n');
    expect(result.stderr).toContain('Run in the sandbox: touch should-not-exist');
    expect(result.stderr).toContain('Allow? [y]es / [n]o / [a]lways for this task: n\nDenied.\n');
    expect(existsSync(join(dir, 'should-not-exist'))).toBe(false);
  });

  it('denies every approval without asking with --approve deny, and by default without a terminal', async () => {
    const dir = folder();
    for (const [marker, flags, reason] of [
      ['[cli-deny-flag]', ['--approve', 'deny'], 'Answering no: run with --approve deny.'],
      ['[cli-no-tty]', [], 'Answering no: stdin is not a terminal, so there is nobody to ask'],
    ] as const) {
      script.add(marker, [
        toolUse('write_file', { path: join(dir, `${marker}.txt`), content: 'x' }),
        (request) => text(request.toolResults[0]?.isError ? 'Not written.' : 'Written.'),
      ]);
      const result = await run([`${marker} write a file`, '--folder', dir, ...flags]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('Not written.\n');
      expect(result.stderr).toContain('approval needed for write_file');
      expect(result.stderr).toContain(reason);
      expect(result.stderr).not.toContain('Allow?');
      expect(existsSync(join(dir, `${marker}.txt`))).toBe(false);
    }
  });

  it('lists what a delete would remove before asking', async () => {
    const dir = folder({ 'old/a.txt': 'a', 'old/b.txt': 'b' });
    script.add('[cli-delete]', [
      toolUse('delete_path', { path: join(dir, 'old') }),
      (request) => text(request.toolResults[0]?.isError ? 'Kept.' : 'Deleted.'),
    ]);
    const result = await run(['[cli-delete] remove old', '--folder', dir, '--approve', 'ask'], {
      stdin: 'y\n',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Deleted.\n');
    expect(result.stderr).toMatch(/\d+ paths? would go to the trash/);
    expect(result.stderr).toContain(`    ${join(dir, 'old', 'a.txt')}\n`);
    expect(result.stderr).toContain(`    ${join(dir, 'old', 'b.txt')}\n`);
    expect(existsSync(join(dir, 'old'))).toBe(false);
  });

  it('exits 1 with the reason when the task fails', async () => {
    const dir = folder();
    script.add('[cli-fail]', [httpError(400, 'invalid_request_error', 'prompt is too long for this test')]);
    const result = await run(['[cli-fail] anything', '--folder', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Failed after \d+ s: .*prompt is too long for this test/);
  });

  it('cancels the task on Ctrl-C during a long command and exits 130', async () => {
    const dir = folder();
    script.add('[cli-cancel]', [toolUse('run_command', { command: 'sleep 60' })]);
    let signalled = 0;
    const result = await run(['[cli-cancel] wait', '--folder', dir, '--auto'], {
      onStderr: (stderr, signal) => {
        if (signalled === 0 && stderr.includes('run_command sleep 60')) {
          signalled = Date.now();
          signal('SIGINT');
        }
      },
    });
    expect(signalled).toBeGreaterThan(0);
    expect(result.code).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(30_000);
    expect(result.stderr).toContain('Cancelling the task');
    expect(result.stderr).toMatch(/Cancelled after \d+ s: cancelled by the person/);
    const task = taskViewSchema.parse(
      await (await stack.api(`/api/tasks/${taskIdIn(result.stderr)}`)).json(),
    );
    expect(task.status).toBe('cancelled');
  }, 90_000);

  it('prints only the task as one JSON object with --json', async () => {
    const dir = folder({ 'a.txt': 'hello' });
    script.add('[cli-json]', [toolUse('read_file', { path: join(dir, 'a.txt') }), text('It says hello.')]);
    const result = await run(['[cli-json] read a.txt', '--folder', dir, '--json']);
    expect(result.code).toBe(0);
    const task = taskViewSchema.parse(JSON.parse(result.stdout));
    expect(task).toMatchObject({ status: 'completed', answer: 'It says hello.', folders: [dir] });
    expect(task.toolCalls.map((call) => call.tool)).toEqual(['read_file']);
    expect(task.usage.outputTokens).toBeGreaterThan(0);
    expect(result.stderr).toBe('');
  });

  it('reconnects when the ui is killed and restarted mid-task, and misses nothing of the answer', async () => {
    const dir = folder();
    script.add('[cli-restart]', [
      reply([text('Starting.'), toolUse('run_command', { command: 'sleep 8' })]),
      text('Finished after the restart.'),
    ]);
    const before = stack.pid('ui');
    let killed = false;
    const result = await run(['[cli-restart] wait a while', '--folder', dir, '--auto'], {
      onStderr: (stderr) => {
        if (!killed && stderr.includes('run_command sleep 8') && before !== undefined) {
          killed = true;
          process.kill(before, 'SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Starting.\nFinished after the restart.\n');
    expect(result.stderr).toMatch(/lost the task event stream \(.*\); reconnecting/);
    // Back on the stream (or, on a slow machine, polling the task until it is).
    expect(result.stderr).toMatch(/the task event stream is back|checking the task every 1 s instead/);
    expect(result.stderr).toMatch(/Completed in \d+ s\./);
    await eventually(async () => (stack.pid('ui') !== before ? true : undefined), 'the ui to be restarted');
    await stack.waitHealthy(60_000);
  }, 90_000);

  it('says Steward is not running, and how to start it, when no stack answers; refuses a missing folder first', async () => {
    const { env, home } = await scratchEnv();

    const down = await runCli(['run', 'hello', '--folder', folder()], env);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/Steward is not running .*start it with "\.\/steward up"/);

    const missing = await runCli(['run', 'hello', '--folder', join(home, 'nope')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`folder ${join(home, 'nope')} does not exist`);
  });

  it('quits at once on a second Ctrl-C while the cancel is still under way', async () => {
    const { env, home } = await scratchEnv();
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(join(home, 'run', 'ui-token'), `${'t'.repeat(43)}\n`, { mode: 0o600 });
    // A ui whose cancel never answers: only the second Ctrl-C can end the wait.
    const requests: string[] = [];
    const ui: Server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/api/health') return void res.writeHead(200).end('{}');
      if (req.method === 'POST' && req.url === '/api/tasks')
        return void res
          .writeHead(201, { 'content-type': 'application/json' })
          .end('{"id":"t_fake","status":"queued"}');
      if (req.url === '/api/tasks/t_fake/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = {
          taskId: 't_fake',
          kind: 'status',
          at: new Date().toISOString(),
          data: { status: 'running' },
        };
        return void res.write(`id: 1\nevent: status\ndata: ${JSON.stringify(event)}\n\n`);
      }
    });
    await new Promise<void>((resolve) => ui.listen(0, '127.0.0.1', resolve));
    env['STEWARD_PORT'] = String((ui.address() as AddressInfo).port);
    try {
      const interrupts: number[] = [];
      const result = await run(['anything', '--folder', folder()], {
        env,
        onStderr: (stderr, signal) => {
          if (interrupts.length === 0 && stderr.includes('Task t_fake started')) {
            interrupts.push(Date.now());
            signal('SIGINT');
          } else if (interrupts.length === 1 && stderr.includes('Cancelling the task')) {
            interrupts.push(Date.now());
            signal('SIGINT');
          }
        },
        timeoutMs: 20_000,
      });
      expect(interrupts).toHaveLength(2);
      expect(result.code).toBe(130);
      expect(result.stderr).toContain('Stopped waiting; the task may still be running');
      expect(requests).toContain('POST /api/tasks/t_fake/cancel');
    } finally {
      ui.closeAllConnections();
      await new Promise((resolve) => ui.close(resolve));
    }
  });
});
