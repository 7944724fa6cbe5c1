import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentChannel } from '../src/agent/agent-channel.js';
import { capturedText } from '../src/exec/output-text.js';

/*
 * The resident agent and vm-service's channel to it, talking over real pipes. The agent runs here
 * as a plain child process (not in a sandbox: that is tests/integration/vm-*.test.ts), so these
 * tests never rely on its in-sandbox sweep of every process.
 */

const AGENT = new URL('../sandbox-agent/agent.mjs', import.meta.url).pathname;
const ENV = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };

let agent: ChildProcessByStdio<Writable, Readable, null>;
let channel: AgentChannel;
let cwd: string;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'steward-agent-'));
  agent = spawn(process.execPath, [AGENT], { stdio: ['pipe', 'pipe', 'inherit'], env: ENV });
  channel = new AgentChannel(agent.stdin, agent.stdout, 'test agent');
  await channel.ready;
});
afterAll(() => {
  agent?.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

function runFrame(
  id: string,
  cmd: string,
  overrides: Partial<{ timeoutMs: number; headBytes: number; tailBytes: number; liveBytes: number }> = {},
) {
  return {
    id,
    cmd,
    cwd,
    env: ENV,
    timeoutMs: 10_000,
    headBytes: 1024,
    tailBytes: 1024,
    liveBytes: 4096,
    ...overrides,
  };
}

describe('resident agent over its channel', () => {
  it('runs a command and reports exit code, stdout and stderr apart', async () => {
    const exit = await channel.run(runFrame('a1', 'echo out; echo err >&2; exit 7'), {
      onOutput: () => undefined,
    });
    expect(exit.code).toBe(7);
    expect(capturedText(exit.out).text).toBe('out\n');
    expect(capturedText(exit.err).text).toBe('err\n');
  });

  it('streams live output in order while the command runs', async () => {
    const seen: string[] = [];
    await channel.run(runFrame('a2', 'for i in 1 2 3; do echo line $i; sleep 0.05; done'), {
      onOutput: (stream, data) => seen.push(`${stream}:${data.toString()}`),
    });
    expect(seen.join('')).toBe('stdout:line 1\nstdout:line 2\nstdout:line 3\n');
  });

  it('keeps the head and tail of a flood of output and counts every byte', async () => {
    const exit = await channel.run(runFrame('a3', 'head -c 5000000 /dev/zero | tr "\\0" x; echo END'), {
      onOutput: () => undefined,
    });
    expect(exit.out.total).toBe(5_000_004);
    const text = capturedText(exit.out);
    expect(text.truncated).toBe(true);
    expect(text.text.startsWith('x'.repeat(1024))).toBe(true);
    expect(text.text.endsWith('END\n')).toBe(true);
    expect(text.text).toContain('bytes of output left out');
  });

  it('kills a command at its timeout, with whatever it started in the background', async () => {
    const started = Date.now();
    const exit = await channel.run(runFrame('a4', 'sleep 30 & sleep 30', { timeoutMs: 300 }), {
      onOutput: () => undefined,
    });
    expect(exit.timedOut).toBe(true);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('does not wait for a background process that keeps the pipes open once the command is done', async () => {
    const started = Date.now();
    const exit = await channel.run(runFrame('a5', '(sleep 30 &) ; echo done'), { onOutput: () => undefined });
    expect(exit.code).toBe(0);
    expect(capturedText(exit.out).text).toBe('done\n');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('cancels a running command on request', async () => {
    const running = channel.run(runFrame('a6', 'sleep 30'), { onOutput: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 100));
    channel.kill('a6');
    const exit = await running;
    expect(exit.killed).toBe(true);
    expect(exit.code).toBeNull();
  });

  it('runs commands side by side', async () => {
    const started = Date.now();
    const results = await Promise.all(
      ['b1', 'b2', 'b3'].map((id) =>
        channel.run(runFrame(id, 'sleep 0.3; echo $0'), { onOutput: () => undefined }),
      ),
    );
    expect(results.map((exit) => exit.code)).toEqual([0, 0, 0]);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('refuses a working directory that does not exist, and keeps serving', async () => {
    await expect(
      channel.run({ ...runFrame('a7', 'true'), cwd: join(cwd, 'missing') }, { onOutput: () => undefined }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const exit = await channel.run(runFrame('a8', 'true'), { onOutput: () => undefined });
    expect(exit.code).toBe(0);
  });
});

describe('the channel distrusts what comes back', () => {
  it('ends the channel on a frame that is not JSON, failing what was pending', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const distrustful = new AgentChannel(input, output, 'fake agent');
    output.write('{"t":"ready","pid":1,"node":"v0"}\n');
    await distrustful.ready;
    const pending = distrustful.run(runFrame('x', 'true'), { onOutput: () => undefined });
    output.write('not json\n');
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(distrustful.closed).toBe(true);
  });

  it('ends the channel on a line over the size limit without buffering it all', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const distrustful = new AgentChannel(input, output, 'fake agent');
    output.write(Buffer.alloc(2 * 1024 * 1024, 0x61));
    expect(distrustful.closed).toBe(true);
  });

  it('ends the channel on a frame that breaks the protocol', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const distrustful = new AgentChannel(input, output, 'fake agent');
    output.write('{"t":"exit","id":"x","code":"zero"}\n');
    expect(distrustful.closed).toBe(true);
  });
});
