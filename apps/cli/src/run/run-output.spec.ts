import { describe, expect, it } from 'vitest';
import type { ProgressState } from './progress-line.js';
import { RunOutput } from './run-output.js';

/** A stream that records writes into one shared transcript, tagged by which stream wrote. */
function streams(tty: { stdout: boolean; stderr: boolean }, columns = 80) {
  const transcript: Array<['out' | 'err', string]> = [];
  const stdout = { isTTY: tty.stdout, columns, write: (text: string) => transcript.push(['out', text]) };
  const stderr = { isTTY: tty.stderr, columns, write: (text: string) => transcript.push(['err', text]) };
  const text = (which: 'out' | 'err'): string =>
    transcript
      .filter(([stream]) => stream === which)
      .map(([, t]) => t)
      .join('');
  return { stdout, stderr, transcript, text };
}

const CLEAR = '\r\x1b[2K';
const running = (activity: string): ProgressState => ({
  status: 'running',
  progress: { done: 1, total: 2 },
  activity,
});

describe('RunOutput on a terminal', () => {
  it('rewrites the live line in place with its elapsed time', () => {
    const io = streams({ stdout: true, stderr: true });
    let now = 0;
    const output = new RunOutput({ ...io, quiet: false, now: () => now });
    output.progress(running('read_file /d/a'));
    now = 3_000;
    output.tick();
    expect(io.text('err')).toBe(
      `${CLEAR}Progress 1 of 2 · read_file /d/a · 0 s${CLEAR}Progress 1 of 2 · read_file /d/a · 3 s`,
    );
  });

  it('clears the live line before answer text and redraws it only once the answer line has ended', () => {
    const io = streams({ stdout: true, stderr: true });
    const output = new RunOutput({ ...io, quiet: false, now: () => 0 });
    output.progress(running('Writing'));
    io.transcript.length = 0;
    output.answer('Hello');
    output.tick();
    output.answer(' world\n');
    expect(io.transcript).toEqual([
      ['err', CLEAR],
      ['out', 'Hello'],
      ['out', ' world\n'],
      ['err', `${CLEAR}Progress 1 of 2 · Writing · 0 s`],
    ]);
  });

  it('writes log lines above the live line, and holds them while the answer is mid-line', () => {
    const io = streams({ stdout: true, stderr: true });
    const output = new RunOutput({ ...io, quiet: false, now: () => 0 });
    output.answer('partial');
    output.log('  ✓ read_file /d/a — 3 lines');
    expect(io.text('err')).toBe('');
    output.endAnswerLine();
    expect(io.text('out')).toBe('partial\n');
    expect(io.text('err')).toBe('  ✓ read_file /d/a — 3 lines\n');
  });

  it('removes escape sequences from the answer on a terminal', () => {
    const io = streams({ stdout: true, stderr: true });
    const output = new RunOutput({ ...io, quiet: false });
    output.answer('a\x1b]52;c;ZXZpbA==\x07b\n');
    expect(io.text('out')).toBe('ab\n');
  });

  it('holds everything back while a question waits, and writes it after the answer', () => {
    const io = streams({ stdout: true, stderr: true });
    const output = new RunOutput({ ...io, quiet: false, now: () => 0 });
    output.progress(running('Waiting for your approval'));
    io.transcript.length = 0;
    output.prompt(['approval needed for write_file', '  Write /d/x'], 'Allow? ');
    output.log('Sub-agent started: other');
    output.answer('text\n');
    output.tick();
    expect(io.transcript).toEqual([
      ['err', CLEAR],
      ['err', 'approval needed for write_file\n'],
      ['err', '  Write /d/x\n'],
      ['err', 'Allow? '],
    ]);
    output.endPrompt();
    expect(io.text('err')).toContain('Sub-agent started: other\n');
    expect(io.text('out')).toBe('text\n');
  });

  it('ends a withdrawn question on its own line with the reason', () => {
    const io = streams({ stdout: false, stderr: true });
    const output = new RunOutput({ ...io, quiet: false });
    output.prompt([], 'Allow? ');
    output.abandonPrompt('Answered elsewhere (the page): allowed.');
    expect(io.text('err')).toBe('Allow? \nAnswered elsewhere (the page): allowed.\n');
  });
});

describe('RunOutput said urgently', () => {
  it('ends an open question line before the urgent line, and the withdrawal adds no blank line', () => {
    const io = streams({ stdout: false, stderr: false });
    const output = new RunOutput({ ...io, quiet: false });
    output.prompt(['approval needed for run_command'], 'Allow? ');
    output.urgent('Cancelling the task…');
    output.abandonPrompt('Not answered: the task is being cancelled.');
    expect(io.text('err')).toBe(
      'approval needed for run_command\nAllow? \nCancelling the task…\nNot answered: the task is being cancelled.\n',
    );
  });
});

describe('RunOutput without a terminal', () => {
  it('prints a plain line when the plan moves on or a tool starts, with no carriage returns or escapes', () => {
    const io = streams({ stdout: false, stderr: false });
    let now = 0;
    const output = new RunOutput({ ...io, quiet: false, now: () => now });
    output.progress({ status: 'running', progress: undefined, activity: 'Thinking' });
    output.progress(running('read_file /d/a'));
    now = 5_000;
    output.tick();
    output.progress(running('read_file /d/a'));
    output.progress(running('Thinking'));
    output.progress(running('Writing'));
    output.progress({ status: 'running', progress: { done: 2, total: 2 }, activity: 'Thinking' });
    output.progress({ status: 'running', progress: { done: 2, total: 2 }, activity: 'research: grep x' });
    expect(io.text('err')).toBe(
      'Progress 1 of 2 · read_file /d/a\nProgress 2 of 2 · Thinking\nProgress 2 of 2 · research: grep x\n',
    );
    expect(io.text('err')).not.toMatch(/[\r\x1b]/);
  });

  it('passes the answer through unchanged to a file or pipe', () => {
    const io = streams({ stdout: false, stderr: false });
    const output = new RunOutput({ ...io, quiet: false });
    output.answer('raw \x1b[1mbytes\x1b[0m\r\n');
    expect(io.text('out')).toBe('raw \x1b[1mbytes\x1b[0m\r\n');
  });

  it('echoes an answer read from a pipe after the question', () => {
    const io = streams({ stdout: false, stderr: false });
    const output = new RunOutput({ ...io, quiet: false });
    output.prompt(['approval needed for run_command'], 'Allow? ');
    output.endPrompt('y');
    expect(io.text('err')).toBe('approval needed for run_command\nAllow? y\n');
  });
});

describe('RunOutput with --json', () => {
  it('writes no progress, no answer and no activity log, but still says what must be said', () => {
    const io = streams({ stdout: true, stderr: true });
    const output = new RunOutput({ ...io, quiet: true });
    output.progress(running('read_file /d/a'));
    output.answer('text');
    output.log('  ✓ read_file');
    output.say('Denied.');
    expect(io.transcript).toEqual([['err', 'Denied.\n']]);
  });
});
