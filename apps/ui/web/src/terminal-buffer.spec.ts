import { describe, expect, it } from 'vitest';
import {
  appendOutput,
  emptyTerminal,
  TERMINAL_LIMITS,
  type OutputStream,
  type Terminal,
} from './terminal-buffer.js';

let seq = 0;
function write(terminal: Terminal, text: string, stream: OutputStream = 'stdout'): Terminal {
  return appendOutput(terminal, { seq: seq++, stream, text });
}
const shown = (terminal: Terminal) => terminal.lines.map((line) => `${line.stream}:${line.text}`);

describe('the terminal block', () => {
  it('splits pieces into lines and keeps a line open until its newline arrives', () => {
    let terminal = write(emptyTerminal, 'step 1\nstep');
    terminal = write(terminal, ' 2 done\nstep 3');
    expect(shown(terminal)).toEqual(['stdout:step 1', 'stdout:step 2 done', 'stdout:step 3']);
    expect(terminal.lines.map((line) => line.open)).toEqual([false, false, true]);
  });

  it('keeps stderr and stdout apart when their lines interleave', () => {
    let terminal = write(emptyTerminal, 'downloading');
    terminal = write(terminal, 'warning: slow\n', 'stderr');
    terminal = write(terminal, ' … done\n');
    expect(shown(terminal)).toEqual(['stdout:downloading … done', 'stderr:warning: slow']);
  });

  it('a carriage return writes the line again, as a progress bar does; CRLF ends a line', () => {
    let terminal = write(emptyTerminal, ' 10%\r');
    terminal = write(terminal, ' 50%\r');
    terminal = write(terminal, '100%\r\nok\r\n');
    expect(shown(terminal)).toEqual(['stdout:100%', 'stdout:ok']);
    expect(shown(write(emptyTerminal, 'a\rb\rc\n'))).toEqual(['stdout:c']);
  });

  it('ignores a piece it has already, and keeps only the last lines', () => {
    const once = appendOutput(emptyTerminal, { seq: 7, stream: 'stdout', text: 'x\n' });
    expect(appendOutput(once, { seq: 7, stream: 'stdout', text: 'x\n' })).toBe(once);
    let terminal = emptyTerminal;
    const many = Array.from({ length: TERMINAL_LIMITS.lines + 20 }, (_, i) => `line ${i}`).join('\n');
    terminal = write(terminal, `${many}\n`);
    expect(terminal.lines).toHaveLength(TERMINAL_LIMITS.lines);
    expect(terminal.hiddenLines).toBe(20);
    expect(terminal.lines[0]?.text).toBe('line 20');
    expect(write(emptyTerminal, 'y'.repeat(TERMINAL_LIMITS.lineChars + 10)).lines[0]?.text).toHaveLength(
      TERMINAL_LIMITS.lineChars + 1,
    );
  });
});
