/*
 * What the model writes and what files are called is not ours: printed raw to a terminal, an
 * escape sequence could rewrite the screen (an approval prompt that says something else), set the
 * clipboard or the title. Text for the terminal passes through here first.
 */

/** CSI, OSC, DCS/SOS/PM/APC strings and two-character escapes, as terminals parse them. */
const ESCAPE_SEQUENCE =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]/g;
/** C0 controls but tab and newline, DEL and C1 controls. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** Bidirectional overrides and isolates: they make a path read differently from what it is. */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/** Streamed answer text for a terminal: escape sequences and controls removed, lines kept. */
export function stripForTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').replace(BIDI, '');
}

function escapeCode(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * A name or summary the person must judge (an approval, a path): every control, escape and
 * direction override is shown as an escape code, so what is read is exactly what is there.
 */
export function visibleText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, escapeCode);
}

/** One line for the status line: controls become spaces, runs of blanks one space. */
export function oneLine(text: string): string {
  return stripForTerminal(text)
    .replace(/[\n\t]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Cuts to `width` characters (code points), ending in an ellipsis when something was cut. */
export function fitWidth(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}
