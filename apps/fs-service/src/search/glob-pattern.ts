import { StewardError } from '@steward/contracts';

/**
 * Glob patterns matched against '/'-separated paths relative to the folder searched:
 *
 * - `*` any run of characters within one path segment, `?` one character (not `/`);
 * - `**` as a whole segment: zero or more segments (`**` inside a segment, `a**b`, is a `*`);
 * - `[abc]`, `[a-z]`, `[!abc]` / `[^abc]` one character of (or not of) a set;
 * - `{a,b}` alternatives, nested allowed, at most {@link MAX_ALTERNATIVES} after expansion;
 * - `\x` the character x itself.
 *
 * Names starting with a dot are matched like any other (`*` matches `.env`); matching is
 * case-sensitive. A pattern is compiled into a small automaton over path segments (and each
 * segment into a wildcard matcher with single-star backtracking), never into a RegExp, so no
 * pattern can make matching take more than O(pattern × path) steps.
 */
export const MAX_ALTERNATIVES = 256;

type CharToken =
  | { readonly kind: 'char'; readonly code: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'star' }
  | {
      readonly kind: 'class';
      readonly negated: boolean;
      readonly ranges: readonly (readonly [number, number])[];
    };

type SegmentToken =
  | { readonly kind: 'globstar' }
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'prefix'; readonly text: string }
  | { readonly kind: 'suffix'; readonly text: string }
  | { readonly kind: 'contains'; readonly text: string }
  | { readonly kind: 'wild'; readonly tokens: readonly CharToken[] };

/** The set of automaton positions reached after some path segments; empty means "cannot match". */
export type GlobState = readonly number[];

export interface GlobOptions {
  /** `{a,b}` alternatives (default true); .gitignore patterns have none. */
  readonly braces?: boolean;
}

export class GlobMatcher {
  /** Tokens of every alternative one after another, each followed by `null`: its accepting end. */
  private readonly flat: readonly (SegmentToken | null)[];
  private readonly initial: GlobState;

  constructor(
    readonly pattern: string,
    alternatives: readonly (readonly SegmentToken[])[],
  ) {
    const flat: (SegmentToken | null)[] = [];
    const starts: number[] = [];
    for (const tokens of alternatives) {
      starts.push(flat.length);
      flat.push(...tokens, null);
    }
    this.flat = flat;
    this.initial = this.closure(starts);
  }

  start(): GlobState {
    return this.initial;
  }

  /** The state after one more path segment (a file or folder name). */
  step(state: GlobState, segment: string): GlobState {
    const next: number[] = [];
    for (const position of state) {
      const token = this.flat[position];
      if (token === null || token === undefined) continue;
      if (token.kind === 'globstar') next.push(position);
      else if (segmentMatches(token, segment)) next.push(position + 1);
    }
    return next.length === 0 ? next : this.closure(next);
  }

  /** The state after every segment of a relative path ('' is the folder searched itself). */
  walk(relativePath: string, from: GlobState = this.initial): GlobState {
    let state = from;
    if (relativePath === '') return state;
    for (const segment of relativePath.split('/')) {
      state = this.step(state, segment);
      if (state.length === 0) break;
    }
    return state;
  }

  accepts(state: GlobState): boolean {
    return state.some((position) => this.flat[position] === null);
  }

  /** Whether a longer path could still match: false lets a walk skip the folder. */
  live(state: GlobState): boolean {
    return state.some((position) => this.flat[position] !== null);
  }

  matches(relativePath: string): boolean {
    return this.accepts(this.walk(relativePath));
  }

  /** Matches one name on its own, as a pattern without `/` is applied to file names. */
  matchesName(name: string): boolean {
    return this.accepts(this.step(this.initial, name));
  }

  couldMatchBelow(relativeDir: string): boolean {
    return this.live(this.walk(relativeDir));
  }

  private closure(positions: readonly number[]): GlobState {
    const seen = new Set<number>();
    const pending = [...positions];
    while (pending.length > 0) {
      const position = pending.pop() as number;
      if (seen.has(position)) continue;
      seen.add(position);
      if (this.flat[position]?.kind === 'globstar') pending.push(position + 1);
    }
    return [...seen].sort((a, b) => a - b);
  }
}

export function compileGlob(pattern: string, options: GlobOptions = {}): GlobMatcher {
  if (pattern.length === 0) throw invalid(pattern, 'the pattern is empty');
  if (pattern.includes('\0')) throw invalid(pattern, 'the pattern contains a NUL character');
  const expanded: string[] = [];
  if (options.braces === false) expanded.push(pattern);
  else expandBraces(pattern, pattern, expanded);
  const alternatives = [...new Set(expanded)].map((alternative) => parseSegments(pattern, alternative));
  return new GlobMatcher(pattern, alternatives);
}

/** Whether a pattern names path segments (has a `/` that is not trailing) or only a name. */
export function globHasSeparator(pattern: string): boolean {
  return pattern.replace(/\/+$/, '').includes('/');
}

function invalid(pattern: string, why: string): StewardError {
  return new StewardError('INVALID_INPUT', `invalid glob pattern ${JSON.stringify(pattern)}: ${why}`);
}

function expandBraces(original: string, pattern: string, out: string[]): void {
  const group = findBraceGroup(pattern);
  if (group === undefined) {
    out.push(pattern);
    if (out.length > MAX_ALTERNATIVES) {
      throw invalid(original, `its {…} alternatives expand to more than ${MAX_ALTERNATIVES} patterns`);
    }
    return;
  }
  const head = pattern.slice(0, group.start);
  const tail = pattern.slice(group.end + 1);
  for (const part of group.parts) expandBraces(original, head + part + tail, out);
}

/** The first `{…}` with a top-level comma; braces without one (and inside `[…]`) are literal. */
function findBraceGroup(
  pattern: string,
): { start: number; end: number; parts: readonly string[] } | undefined {
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') {
      index++;
    } else if (char === '[') {
      const close = classEnd(pattern, index);
      if (close !== -1) index = close;
    } else if (char === '{') {
      const group = braceGroupAt(pattern, index);
      if (group !== undefined) return group;
    }
  }
  return undefined;
}

function braceGroupAt(
  pattern: string,
  start: number,
): { start: number; end: number; parts: readonly string[] } | undefined {
  let depth = 0;
  let partStart = start + 1;
  const parts: string[] = [];
  for (let index = start; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') {
      index++;
    } else if (char === '[') {
      const close = classEnd(pattern, index);
      if (close !== -1) index = close;
    } else if (char === '{') {
      depth++;
    } else if (char === '}') {
      depth--;
      if (depth === 0) {
        if (parts.length === 0) return undefined;
        parts.push(pattern.slice(partStart, index));
        return { start, end: index, parts };
      }
    } else if (char === ',' && depth === 1) {
      parts.push(pattern.slice(partStart, index));
      partStart = index + 1;
    }
  }
  return undefined;
}

/** Index of the `]` closing a class opened at `open`, or -1 when the `[` is a plain character. */
function classEnd(pattern: string, open: number): number {
  let index = open + 1;
  if (pattern[index] === '!' || pattern[index] === '^') index++;
  if (pattern[index] === ']') index++;
  for (; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') index++;
    else if (char === ']') return index;
    else if (char === '/') return -1;
  }
  return -1;
}

function parseSegments(original: string, alternative: string): SegmentToken[] {
  if (alternative.startsWith('/')) {
    throw invalid(
      original,
      'it is absolute; patterns are matched relative to the folder searched (give the folder as path)',
    );
  }
  const tokens: SegmentToken[] = [];
  for (const segment of alternative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw invalid(original, '".." cannot match: the search never leaves its folder');
    if (segment === '**') {
      if (tokens.at(-1)?.kind !== 'globstar') tokens.push({ kind: 'globstar' });
      continue;
    }
    tokens.push(parseSegment(segment));
  }
  if (tokens.length === 0) throw invalid(original, 'it names no file');
  return tokens;
}

function parseSegment(segment: string): SegmentToken {
  const chars = Array.from(segment);
  const tokens: CharToken[] = [];
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index] as string;
    if (char === '\\' && index + 1 < chars.length) {
      tokens.push(charToken(chars[++index] as string));
    } else if (char === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') {
      tokens.push({ kind: 'any' });
    } else if (char === '[') {
      const parsed = parseClass(chars, index);
      if (parsed === undefined) tokens.push(charToken(char));
      else {
        tokens.push(parsed.token);
        index = parsed.end;
      }
    } else {
      tokens.push(charToken(char));
    }
  }
  return simplify(tokens);
}

function charToken(char: string): CharToken {
  return { kind: 'char', code: char.codePointAt(0) as number };
}

function parseClass(chars: readonly string[], open: number): { token: CharToken; end: number } | undefined {
  let index = open + 1;
  const negated = chars[index] === '!' || chars[index] === '^';
  if (negated) index++;
  const ranges: [number, number][] = [];
  let first = true;
  for (; index < chars.length; index++) {
    let char = chars[index] as string;
    if (char === ']' && !first) return { token: { kind: 'class', negated, ranges }, end: index };
    first = false;
    if (char === '\\' && index + 1 < chars.length) char = chars[++index] as string;
    const low = char.codePointAt(0) as number;
    const dash = chars[index + 1];
    const upper = chars[index + 2];
    if (dash === '-' && upper !== undefined && upper !== ']') {
      let high = upper;
      index += 2;
      if (high === '\\' && index + 1 < chars.length) high = chars[++index] as string;
      const highCode = high.codePointAt(0) as number;
      ranges.push(low <= highCode ? [low, highCode] : [highCode, low]);
    } else {
      ranges.push([low, low]);
    }
  }
  return undefined;
}

/** Turns the common shapes (`name`, `*.md`, `draft*`, `*report*`) into plain string tests. */
function simplify(tokens: readonly CharToken[]): SegmentToken {
  const literal = (from: number, to: number): string | undefined => {
    let text = '';
    for (let index = from; index < to; index++) {
      const token = tokens[index];
      if (token?.kind !== 'char') return undefined;
      text += String.fromCodePoint(token.code);
    }
    return text;
  };
  const last = tokens.length - 1;
  const whole = literal(0, tokens.length);
  if (whole !== undefined) return { kind: 'literal', text: whole };
  const leadingStar = tokens[0]?.kind === 'star';
  const trailingStar = last > 0 && tokens[last]?.kind === 'star';
  if (leadingStar && trailingStar) {
    const middle = literal(1, last);
    if (middle !== undefined) return { kind: 'contains', text: middle };
  } else if (leadingStar) {
    const suffix = literal(1, tokens.length);
    if (suffix !== undefined) return { kind: 'suffix', text: suffix };
  } else if (trailingStar) {
    const prefix = literal(0, last);
    if (prefix !== undefined) return { kind: 'prefix', text: prefix };
  }
  return { kind: 'wild', tokens };
}

function segmentMatches(token: Exclude<SegmentToken, { kind: 'globstar' }>, segment: string): boolean {
  switch (token.kind) {
    case 'literal':
      return segment === token.text;
    case 'prefix':
      return segment.startsWith(token.text);
    case 'suffix':
      return segment.endsWith(token.text);
    case 'contains':
      return segment.includes(token.text);
    case 'wild':
      return wildMatches(token.tokens, codePoints(segment));
  }
}

function codePoints(text: string): readonly number[] {
  const codes: number[] = [];
  for (const char of text) codes.push(char.codePointAt(0) as number);
  return codes;
}

/**
 * Wildcard match where `*` is the only multi-character token: on a mismatch, only the most
 * recent `*` needs to take one more character (earlier ones can never do better), which bounds
 * the work to O(tokens × characters).
 */
function wildMatches(tokens: readonly CharToken[], text: readonly number[]): boolean {
  let tokenIndex = 0;
  let textIndex = 0;
  let starToken = -1;
  let starText = 0;
  while (textIndex < text.length) {
    const token = tokens[tokenIndex];
    if (token?.kind === 'star') {
      starToken = tokenIndex++;
      starText = textIndex;
    } else if (token !== undefined && charMatches(token, text[textIndex] as number)) {
      tokenIndex++;
      textIndex++;
    } else if (starToken >= 0) {
      tokenIndex = starToken + 1;
      textIndex = ++starText;
    } else {
      return false;
    }
  }
  while (tokens[tokenIndex]?.kind === 'star') tokenIndex++;
  return tokenIndex === tokens.length;
}

function charMatches(token: Exclude<CharToken, { kind: 'star' }>, code: number): boolean {
  switch (token.kind) {
    case 'char':
      return token.code === code;
    case 'any':
      return true;
    case 'class': {
      const inside = token.ranges.some(([low, high]) => code >= low && code <= high);
      return inside !== token.negated;
    }
  }
}
