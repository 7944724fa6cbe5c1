/*
 * What a running command printed, as lines for the page's terminal block: the pieces vm-service
 * sends (in order, stdout and stderr interleaved as they came) split into lines, a line left open
 * until its newline arrives, a carriage return starting the line again (progress bars), and only
 * the last lines kept.
 */

export const TERMINAL_LIMITS = { lines: 500, lineChars: 4_000 } as const;

export type OutputStream = 'stdout' | 'stderr';

export interface TerminalLine {
  readonly key: number;
  readonly stream: OutputStream;
  readonly text: string;
  /** Still being written: the next piece of the same stream goes on this line. */
  readonly open: boolean;
  /** Its last character was a carriage return: what comes next writes the line again. */
  readonly returned: boolean;
}

export interface Terminal {
  readonly lines: readonly TerminalLine[];
  /** Lines no longer shown, from the top. */
  readonly hiddenLines: number;
  /** Characters the server no longer had or skipped for this page. */
  readonly missedChars: number;
  readonly lastSeq: number;
  readonly nextKey: number;
}

export const emptyTerminal: Terminal = { lines: [], hiddenLines: 0, missedChars: 0, lastSeq: -1, nextKey: 0 };

/** A line as it shows after carriage returns: what was written after the last one. */
function settle(text: string): { text: string; returned: boolean } {
  const returned = text.endsWith('\r');
  const line = text.replace(/\r+$/, '');
  const shown = line.slice(line.lastIndexOf('\r') + 1);
  return {
    text: shown.length > TERMINAL_LIMITS.lineChars ? `${shown.slice(0, TERMINAL_LIMITS.lineChars)}…` : shown,
    returned,
  };
}

export function appendOutput(
  terminal: Terminal,
  piece: { readonly seq: number; readonly stream: OutputStream; readonly text: string },
): Terminal {
  if (piece.seq <= terminal.lastSeq || piece.text === '') {
    return piece.seq > terminal.lastSeq ? { ...terminal, lastSeq: piece.seq } : terminal;
  }
  const lines = [...terminal.lines];
  let key = terminal.nextKey;
  const parts = piece.text.split('\n');
  parts.forEach((part, index) => {
    const closes = index < parts.length - 1;
    if (!closes && part === '') return;
    // The stream's open line, wherever it is: the other stream may have written lines since.
    const openAt =
      index === 0 ? lines.findLastIndex((line) => line.open && line.stream === piece.stream) : -1;
    const previous = lines[openAt];
    if (previous !== undefined) {
      const written = previous.returned && part !== '' ? settle(part) : settle(`${previous.text}${part}`);
      lines[openAt] = { ...previous, ...written, open: !closes };
    } else {
      lines.push({ key: key++, stream: piece.stream, ...settle(part), open: !closes });
    }
  });
  const hidden = Math.max(0, lines.length - TERMINAL_LIMITS.lines);
  return {
    lines: hidden > 0 ? lines.slice(hidden) : lines,
    hiddenLines: terminal.hiddenLines + hidden,
    missedChars: terminal.missedChars,
    lastSeq: piece.seq,
    nextKey: key,
  };
}

export const noteMissed = (terminal: Terminal, chars: number): Terminal => ({
  ...terminal,
  missedChars: terminal.missedChars + chars,
});
