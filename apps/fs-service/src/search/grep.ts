import { compileGlob } from './glob-pattern.js';
import { compileGrepPattern } from './grep-pattern.js';
import { GREP_DEFAULT_LIMITS, resolveLimits, type SearchLimits } from './search-limits.js';
import { searchPool, type TruncationReason } from './search-pool.js';
import { addSkipCounts, type NotableSkip, type SkipCounts } from './search-protocol.js';
import { prepareScopes, type SearchTarget } from './search-scope.js';

export interface GrepRequest extends SearchTarget {
  /** A JavaScript regular expression, matched against each line of each text file. */
  readonly pattern: string;
  /** Only files matching this glob: by name when it has no `/` ("*.md"), else by path from base. */
  readonly glob?: string;
  readonly signal?: AbortSignal;
  readonly limits?: Partial<SearchLimits>;
}

export interface GrepMatch {
  /** Absolute. */
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units, of the first match on the line. */
  readonly column: number;
  /** The line, or at most `maxLineChars` of it around the match with "…" where cut. */
  readonly text: string;
}

export interface GrepResult {
  /** The first `maxResults` matching lines, by path (segment by segment) then line. */
  readonly matches: readonly GrepMatch[];
  /** Every matching line found, returned or not. */
  readonly totalMatches: number;
  readonly filesWithMatches: number;
  /** Text files read and matched. */
  readonly filesScanned: number;
  readonly filesSkipped: Readonly<SkipCounts>;
  /** The first few files left out for a reason the caller may act on (too large, timed out, …). */
  readonly notableSkips: readonly Omit<NotableSkip, 'line'>[];
  /** True when `matches` is not everything: see `reason`. */
  readonly truncated: boolean;
  /**
   * `result-limit`: more lines matched than returned (the totals are exact);
   * `time-limit`: the time budget ran out (the totals cover what was searched).
   */
  readonly reason?: TruncationReason;
}

/**
 * Searches text files under the roots (or under base) for lines matching a regular expression.
 * Skips binary files, files over the size limit, ignored folders and files (see ignore-rules.ts),
 * symlinks, FIFOs, sockets and devices. Rejects with INVALID_INPUT for a bad pattern or glob,
 * OUTSIDE_ROOT / NOT_FOUND for a bad base, CANCELLED when the signal aborts.
 */
export async function searchGrep(request: GrepRequest): Promise<GrepResult> {
  const limits = resolveLimits(GREP_DEFAULT_LIMITS, request.limits);
  const pattern = compileGrepPattern(request.pattern);
  if (request.glob !== undefined) compileGlob(request.glob);
  const prepared = await prepareScopes(request, { files: true });
  const outcome = await searchPool().run(
    {
      kind: 'grep',
      scopes: prepared.scopes,
      pattern,
      ...(request.glob === undefined ? {} : { fileGlob: request.glob }),
      limits,
    },
    prepared.items,
    (report) => report.grepHits,
    request.signal,
  );
  addSkipCounts(outcome.skipped, prepared.skipped);
  return {
    matches: outcome.hits.map(({ path, line, column, text }) => ({ path, line, column, text })),
    totalMatches: outcome.matches,
    filesWithMatches: outcome.filesWithMatches,
    filesScanned: outcome.filesScanned,
    filesSkipped: outcome.skipped,
    notableSkips: outcome.notable.map(({ path, reason, bytes }) =>
      bytes === undefined ? { path, reason } : { path, reason, bytes },
    ),
    truncated: outcome.truncated,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
  };
}
