import { StewardError } from '@steward/contracts';

/**
 * A grep pattern checked and analysed once, on the caller's thread, then sent to the workers as
 * plain data. Patterns are JavaScript regular expressions, matched line by line (a match never
 * spans lines) and case-sensitively. They are compiled with the `u` flag when valid in Unicode
 * mode (so `\p{L}` and astral characters work), otherwise without it (so legacy escapes such as
 * `\-` or a bare `{` still work).
 */
export interface GrepPattern {
  readonly source: string;
  readonly flags: 'gm' | 'gmu';
  /** The pattern is this plain string: lines are found by byte search, nothing is decoded. */
  readonly literal?: string;
  /** Every match contains this string: a file without it is not decoded or matched. */
  readonly requiredLiteral?: string;
  /**
   * The pattern has lookarounds, which could look past a line's end when the whole file is
   * matched at once; each candidate line is then matched again on its own.
   */
  readonly confirmEachLine: boolean;
}

const IDENTITY_ESCAPES = new Set('^$\\.*+?()[]{}|/-,:=!<>#&~@%"\'` ');

export function compileGrepPattern(pattern: string): GrepPattern {
  if (pattern.length === 0) throw new StewardError('INVALID_INPUT', 'the grep pattern is empty');
  let flags: GrepPattern['flags'] = 'gmu';
  try {
    new RegExp(pattern, flags);
  } catch {
    flags = 'gm';
    try {
      new RegExp(pattern, flags);
    } catch (error) {
      throw new StewardError(
        'INVALID_INPUT',
        `invalid regular expression (JavaScript syntax): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const analysis = analyse(pattern);
  if (analysis.newline) {
    throw new StewardError(
      'INVALID_INPUT',
      'the pattern contains a line break, but grep matches one line at a time; search for one line',
    );
  }
  return {
    source: pattern,
    flags,
    ...(analysis.exact !== undefined ? { literal: analysis.exact } : {}),
    ...(analysis.required !== undefined ? { requiredLiteral: analysis.required } : {}),
    confirmEachLine: /\(\?<?[=!]/.test(pattern),
  };
}

interface Analysis {
  /** The whole pattern as a plain string, when it is one. */
  exact?: string;
  /** The longest run of characters every match must contain. */
  required?: string;
  /** A line break that must be matched: never true of a single line. */
  newline: boolean;
}

/**
 * Reads the top level of a pattern atom by atom, keeping runs of characters that every match
 * must contain in that order. Anything not understood ends the current run, so the result errs
 * towards finding no required string, never towards a wrong one. A top-level `|` means no string
 * is required at all.
 */
function analyse(pattern: string): Analysis {
  const runs: string[] = [];
  let run = '';
  let exact = true;
  let newline = false;
  const endRun = () => {
    if (run !== '') runs.push(run);
    run = '';
  };
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index] as string;
    let atom: string | undefined;
    let next: number;
    if (char === '\\') {
      const escaped = pattern[index + 1];
      if (escaped !== undefined && IDENTITY_ESCAPES.has(escaped)) {
        atom = escaped;
        next = index + 2;
      } else {
        if (escaped === 'n') newline = true;
        next = escapeEnd(pattern, index);
      }
    } else if (char === '[') {
      next = classEnd(pattern, index) + 1;
    } else if (char === '(') {
      next = groupEnd(pattern, index) + 1;
    } else if (char === '|') {
      return { newline: newline || pattern.includes('\n') };
    } else if (char === '.' || char === '^' || char === '$') {
      next = index + 1;
    } else if (char === '\n') {
      newline = true;
      next = index + 1;
    } else {
      atom = char;
      next = index + 1;
    }
    const quantifier = quantifierAt(pattern, next);
    if (atom === undefined || quantifier !== undefined) exact = false;
    if (atom === undefined) {
      endRun();
    } else if (quantifier === undefined) {
      run += atom;
    } else {
      if (quantifier.min >= 1) run += atom;
      endRun();
    }
    index = quantifier === undefined ? next : quantifier.end;
  }
  endRun();
  const encodedLength = (text: string) => Buffer.byteLength(text, 'utf8');
  const required = runs.reduce<string | undefined>(
    (best, candidate) =>
      best === undefined || encodedLength(candidate) > encodedLength(best) ? candidate : best,
    undefined,
  );
  return {
    ...(exact && required !== undefined && runs.length === 1 ? { exact: required } : {}),
    ...(required !== undefined ? { required } : {}),
    newline,
  };
}

/** The index just past an escape that is not a plain character (`\d`, `\x41`, `\p{L}`, `\12`). */
function escapeEnd(pattern: string, start: number): number {
  const kind = pattern[start + 1];
  let index = start + 2;
  const consume = (allowed: RegExp, max: number) => {
    for (let taken = 0; taken < max && allowed.test(pattern[index] ?? ''); taken++) index++;
  };
  const consumeBracketed = (close: string) => {
    const end = pattern.indexOf(close, index);
    if (end !== -1) index = end + 1;
  };
  if (kind === 'x') consume(/[0-9A-Fa-f]/, 2);
  else if (kind === 'u') {
    if (pattern[index] === '{') consumeBracketed('}');
    else consume(/[0-9A-Fa-f]/, 4);
  } else if (kind === 'c') consume(/[A-Za-z]/, 1);
  else if ((kind === 'p' || kind === 'P') && pattern[index] === '{') consumeBracketed('}');
  else if (kind === 'k' && pattern[index] === '<') consumeBracketed('>');
  else if (kind !== undefined && /[0-9]/.test(kind)) consume(/[0-9]/, Number.POSITIVE_INFINITY);
  return Math.min(index, pattern.length);
}

/** The index of the `]` closing a class (JavaScript: the first unescaped one). */
function classEnd(pattern: string, open: number): number {
  for (let index = open + 1; index < pattern.length; index++) {
    if (pattern[index] === '\\') index++;
    else if (pattern[index] === ']') return index;
  }
  return pattern.length - 1;
}

function groupEnd(pattern: string, open: number): number {
  let depth = 0;
  for (let index = open; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') index++;
    else if (char === '[') index = classEnd(pattern, index);
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return index;
  }
  return pattern.length - 1;
}

function quantifierAt(pattern: string, index: number): { min: number; end: number } | undefined {
  const char = pattern[index];
  let min: number;
  let end: number;
  if (char === '*' || char === '?') {
    min = 0;
    end = index + 1;
  } else if (char === '+') {
    min = 1;
    end = index + 1;
  } else if (char === '{') {
    const braced = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(index, index + 32));
    if (braced === null) return undefined;
    min = Number(braced[1]);
    end = index + braced[0].length;
  } else {
    return undefined;
  }
  if (pattern[end] === '?') end++;
  return { min, end };
}
