import type { GrepPattern } from './grep-pattern.js';

/** One matching line of a file. */
export interface LineHit {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units of the line, of the first match on it. */
  readonly column: number;
  /** The line without its line break, or a window of it around the match marked with "…". */
  readonly text: string;
}

/** Receives a file's matching lines in order; the scan only counts once it stops wanting them. */
export interface LineSink {
  wants(line: number): boolean;
  take(hit: LineHit): void;
}

export type LineMatcher =
  | { readonly kind: 'literal'; readonly needle: Buffer }
  | {
      readonly kind: 'regex';
      /** Global and multiline: run once over a whole file. */
      readonly scan: RegExp;
      /** The same pattern for one line on its own. */
      readonly line: RegExp;
      readonly required: Buffer | undefined;
      readonly confirmEachLine: boolean;
    };

export function createLineMatcher(pattern: GrepPattern): LineMatcher {
  if (pattern.literal !== undefined) return { kind: 'literal', needle: Buffer.from(pattern.literal, 'utf8') };
  return {
    kind: 'regex',
    scan: new RegExp(pattern.source, pattern.flags),
    line: new RegExp(pattern.source, pattern.flags.replace('g', '')),
    required:
      pattern.requiredLiteral === undefined ? undefined : Buffer.from(pattern.requiredLiteral, 'utf8'),
    confirmEachLine: pattern.confirmEachLine,
  };
}

/**
 * Counts the lines of `data` (a whole text file, UTF-8 or ASCII-compatible) that match, handing
 * them to `sink` while it wants them. Lines end at "\n"; a "\r" before it is not part of the text.
 */
export function scanLines(
  data: Buffer,
  matcher: LineMatcher,
  sink: LineSink | undefined,
  maxLineChars: number,
): number {
  if (matcher.kind === 'literal') return scanLiteral(data, matcher.needle, sink, maxLineChars);
  if (matcher.required !== undefined && data.indexOf(matcher.required) === -1) return 0;
  return scanRegex(data.toString('utf8'), matcher, sink, maxLineChars);
}

function scanLiteral(data: Buffer, needle: Buffer, sink: LineSink | undefined, maxLineChars: number): number {
  let count = 0;
  let collecting = sink !== undefined;
  let lineNumber = 1;
  let counted = 0;
  let position = data.indexOf(needle);
  while (position !== -1) {
    const lineStart = position === 0 ? 0 : data.lastIndexOf(10, position - 1) + 1;
    let lineEnd = data.indexOf(10, position);
    if (lineEnd === -1) lineEnd = data.length;
    count++;
    if (collecting && sink !== undefined) {
      for (let newline = data.indexOf(10, counted); newline !== -1 && newline < lineStart;) {
        lineNumber++;
        newline = data.indexOf(10, newline + 1);
      }
      counted = lineStart;
      if (sink.wants(lineNumber)) {
        sink.take(bytesHit(data, lineStart, lineEnd, position, needle.length, lineNumber, maxLineChars));
      } else {
        collecting = false;
      }
    }
    if (lineEnd >= data.length) break;
    position = data.indexOf(needle, lineEnd + 1);
  }
  return count;
}

function scanRegex(
  text: string,
  matcher: Extract<LineMatcher, { kind: 'regex' }>,
  sink: LineSink | undefined,
  maxLineChars: number,
): number {
  const { scan, line } = matcher;
  let count = 0;
  let collecting = sink !== undefined;
  let lineNumber = 1;
  let counted = 0;
  scan.lastIndex = 0;
  for (let match = scan.exec(text); match !== null; match = scan.exec(text)) {
    const index = match.index;
    // An empty match after the final line break is not a line.
    if (index === text.length && (index === 0 || text.charCodeAt(index - 1) === 10)) break;
    const lineStart = index === 0 ? 0 : text.lastIndexOf('\n', index - 1) + 1;
    let lineEnd = text.indexOf('\n', index);
    if (lineEnd === -1) lineEnd = text.length;
    let column = index - lineStart;
    let length = match[0].length;
    let matched = true;
    if (matcher.confirmEachLine || index + length > lineEnd) {
      line.lastIndex = 0;
      const own = line.exec(withoutCr(text.slice(lineStart, lineEnd)));
      if (own === null) matched = false;
      else {
        column = own.index;
        length = own[0].length;
      }
    }
    if (matched) {
      count++;
      if (collecting && sink !== undefined) {
        for (let newline = text.indexOf('\n', counted); newline !== -1 && newline < lineStart;) {
          lineNumber++;
          newline = text.indexOf('\n', newline + 1);
        }
        counted = lineStart;
        if (sink.wants(lineNumber)) {
          const lineText = withoutCr(text.slice(lineStart, lineEnd));
          sink.take({
            line: lineNumber,
            column: column + 1,
            text: excerpt(lineText, column, length, maxLineChars, false, false),
          });
        } else {
          collecting = false;
        }
      }
    }
    if (lineEnd >= text.length) break;
    scan.lastIndex = lineEnd + 1;
  }
  return count;
}

function bytesHit(
  data: Buffer,
  lineStart: number,
  lineEnd: number,
  position: number,
  needleLength: number,
  lineNumber: number,
  maxLineChars: number,
): LineHit {
  // A character takes at most 4 bytes: this window holds every character the excerpt can show.
  const reach = 4 * maxLineChars;
  const from = Math.max(lineStart, position - reach);
  const to = Math.min(lineEnd, position + needleLength + reach);
  const before = data.toString('utf8', from, position);
  const column = from === lineStart ? before.length : data.toString('utf8', lineStart, position).length;
  const window = withoutCr(before + data.toString('utf8', position, to));
  const matchLength = data.toString('utf8', position, position + needleLength).length;
  return {
    line: lineNumber,
    column: column + 1,
    text: excerpt(window, before.length, matchLength, maxLineChars, from > lineStart, to < lineEnd),
  };
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * At most `max` characters of a line: all of it when it fits, otherwise a window that shows the
 * match, with "…" on each side where text was left out.
 */
export function excerpt(
  line: string,
  matchStart: number,
  matchLength: number,
  max: number,
  clippedBefore: boolean,
  clippedAfter: boolean,
): string {
  if (line.length <= max && !clippedBefore && !clippedAfter) return line;
  const marked = max >= 3;
  const room = marked ? max - 2 : max;
  let start = Math.max(0, matchStart - Math.floor((room - Math.min(matchLength, room)) / 2));
  let end = Math.min(line.length, start + room);
  start = Math.max(0, end - room);
  // A side that needs no "…" gives its character to the text.
  if (marked && start === 0 && !clippedBefore) end = Math.min(line.length, end + 1);
  else if (marked && end === line.length && !clippedAfter) start = Math.max(0, start - 1);
  const before = marked && (start > 0 || clippedBefore) ? '…' : '';
  const after = marked && (end < line.length || clippedAfter) ? '…' : '';
  return before + line.slice(start, end) + after;
}
