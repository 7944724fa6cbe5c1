import { compileGlob } from './glob-pattern.js';
import { GLOB_DEFAULT_LIMITS, resolveLimits, type SearchLimits } from './search-limits.js';
import { searchPool, type TruncationReason } from './search-pool.js';
import { addSkipCounts, type GlobEntryKind } from './search-protocol.js';
import { prepareScopes, type SearchTarget } from './search-scope.js';

export interface GlobRequest extends SearchTarget {
  /** Matched against paths relative to base (or to each root); syntax in glob-pattern.ts. */
  readonly pattern: string;
  readonly signal?: AbortSignal;
  readonly limits?: Partial<SearchLimits>;
}

export interface GlobEntry {
  /** Absolute. */
  readonly path: string;
  /** A symlink is listed as itself: it is never followed, so what it points to is not known. */
  readonly kind: GlobEntryKind;
}

export interface GlobResult {
  /** The first `maxResults` matching files and symlinks, by path compared segment by segment. */
  readonly paths: readonly GlobEntry[];
  /** Every matching path found, returned or not. */
  readonly totalMatches: number;
  /** Folder entries looked at (folders the pattern cannot match inside are not entered). */
  readonly entriesScanned: number;
  /** Entries left out by the ignore rules; an ignored folder counts once. */
  readonly ignored: number;
  /** Folders that could not be listed. */
  readonly unreadable: number;
  readonly truncated: boolean;
  readonly reason?: TruncationReason;
}

/**
 * Finds files (and symlinks, reported as such) whose path relative to base, or to each root
 * without base, matches a glob pattern. Folders are listed, never files opened; ignored folders
 * and files (ignore-rules.ts) are left out, and folders the pattern cannot match inside are not
 * entered. Rejects with
 * INVALID_INPUT for a bad pattern or a base that is not a folder, OUTSIDE_ROOT / NOT_FOUND for a
 * bad base, CANCELLED when the signal aborts.
 */
export async function searchGlob(request: GlobRequest): Promise<GlobResult> {
  const limits = resolveLimits(GLOB_DEFAULT_LIMITS, request.limits);
  compileGlob(request.pattern);
  const prepared = await prepareScopes(request, { files: false });
  const outcome = await searchPool().run(
    { kind: 'glob', scopes: prepared.scopes, pattern: request.pattern, limits },
    prepared.items,
    (report) => report.globHits,
    request.signal,
  );
  addSkipCounts(outcome.skipped, prepared.skipped);
  return {
    paths: outcome.hits.map(({ path, kind }) => ({ path, kind })),
    totalMatches: outcome.matches,
    entriesScanned: outcome.entries,
    ignored: outcome.skipped.ignored,
    unreadable: outcome.skipped.unreadable,
    truncated: outcome.truncated,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
  };
}
