import { StewardError } from '@steward/contracts';

/** How much one search may return and spend. Every field is a positive integer. */
export interface SearchLimits {
  /** Matches (grep: matching lines; glob: paths) returned; the totals still count past it. */
  readonly maxResults: number;
  /** Files larger than this are not read: counted in `tooLarge` and listed as notable. */
  readonly maxFileBytes: number;
  /** Wall-clock budget of the whole search; past it the search stops and returns what it found. */
  readonly timeBudgetMs: number;
  /**
   * The longest one worker may spend on one file (or one folder listing). Past it the worker is
   * terminated and the file counted as `timedOut`: this is what stops a regular expression that
   * backtracks catastrophically, since a running RegExp cannot be interrupted any other way.
   */
  readonly fileTimeMs: number;
  /** Characters of a matching line returned, as a window around the match when the line is longer. */
  readonly maxLineChars: number;
}

export const GREP_DEFAULT_LIMITS: SearchLimits = Object.freeze({
  maxResults: 500,
  maxFileBytes: 8 * 1024 * 1024,
  timeBudgetMs: 20_000,
  fileTimeMs: 2_000,
  maxLineChars: 300,
});

export const GLOB_DEFAULT_LIMITS: SearchLimits = Object.freeze({
  ...GREP_DEFAULT_LIMITS,
  maxResults: 1_000,
});

/** Upper bounds that keep a caller-chosen limit from defeating the point of having one. */
const CEILINGS: SearchLimits = {
  maxResults: 100_000,
  maxFileBytes: 256 * 1024 * 1024,
  timeBudgetMs: 600_000,
  fileTimeMs: 600_000,
  maxLineChars: 100_000,
};

export function resolveLimits(
  defaults: SearchLimits,
  overrides: Partial<SearchLimits> | undefined,
): SearchLimits {
  if (overrides === undefined) return defaults;
  const limits: Record<keyof SearchLimits, number> = { ...defaults };
  for (const key of Object.keys(CEILINGS) as (keyof SearchLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1 || value > CEILINGS[key]) {
      throw new StewardError(
        'INVALID_INPUT',
        `search limit ${key} must be an integer from 1 to ${CEILINGS[key]}, got ${String(value)}`,
      );
    }
    limits[key] = value;
  }
  return limits;
}
