import path from 'node:path';
import type { TaskAccess } from '../access/fs-access.js';
import { isInsideStewardHome, isWithin } from '../containment/path-rules.js';
import { parseGitignore, type IgnoreRule } from '../search/ignore-rules.js';
import { searchGlob } from '../search/glob.js';
import { searchGrep } from '../search/grep.js';
import type { SearchTarget } from '../search/search-scope.js';
import { plural, withOpened } from './opened.js';

/** What a search of a task covers: its roots, or one path in them, minus denied paths and Steward's home. */
async function targetOf(access: TaskAccess, requested: string | undefined): Promise<SearchTarget> {
  const stewardHome = access.open.stewardHome;
  const extraIgnoreRules = (root: string): IgnoreRule[] => {
    const rules = access.denied.ignoreRulesFor(root);
    if (stewardHome !== undefined && isWithin(root, stewardHome) && root !== stewardHome) {
      rules.push(...parseGitignore(`/${path.posix.relative(root, stewardHome)}`).rules);
    }
    return rules;
  };
  const base =
    requested === undefined
      ? undefined
      : await withOpened(access, requested, { kind: 'stat' }, async (opened) => opened.realPath);
  return { roots: access.roots.roots, ...(base === undefined ? {} : { base }), extraIgnoreRules };
}

/** Whether a path found by a search may be shown: the worker's rules already skip these; this makes sure. */
function visible(access: TaskAccess, found: string): boolean {
  const root = access.roots.rootOf(found);
  if (root === undefined) return false;
  const home = access.open.stewardHome;
  if (home !== undefined && isInsideStewardHome(found, home)) return false;
  return access.denied.match(found, root) === undefined;
}

export async function globTool(
  access: TaskAccess,
  request: { pattern: string; path?: string | undefined },
  signal?: AbortSignal,
) {
  const target = await targetOf(access, request.path);
  const result = await searchGlob({ ...target, pattern: request.pattern, ...(signal ? { signal } : {}) });
  const paths = result.paths.filter((entry) => visible(access, entry.path));
  const hidden = result.paths.length - paths.length;
  const totalMatches = result.totalMatches - hidden;
  const lines = paths.map((entry) =>
    entry.kind === 'symlink' ? `${entry.path} (symbolic link)` : entry.path,
  );
  if (paths.length === 0) lines.push(`No files match ${request.pattern}.`);
  if (result.truncated) {
    lines.push(
      result.reason === 'time-limit'
        ? '(the search ran out of time; results are partial — narrow the path or the pattern)'
        : `(${totalMatches - paths.length} more matches not shown — narrow the pattern)`,
    );
  }
  return {
    paths,
    totalMatches,
    truncated: result.truncated,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    output: lines.join('\n'),
  };
}

export async function grepTool(
  access: TaskAccess,
  request: { pattern: string; path?: string | undefined; glob?: string | undefined },
  signal?: AbortSignal,
) {
  const target = await targetOf(access, request.path);
  const result = await searchGrep({
    ...target,
    pattern: request.pattern,
    ...(request.glob === undefined ? {} : { glob: request.glob }),
    ...(signal ? { signal } : {}),
  });
  const matches = result.matches.filter((match) => visible(access, match.path));
  const lines = matches.map((match) => `${match.path}:${match.line}: ${match.text}`);
  if (matches.length === 0) {
    lines.push(`No lines match ${request.pattern} in ${plural(result.filesScanned, 'file')} searched.`);
  }
  if (result.truncated) {
    lines.push(
      result.reason === 'time-limit'
        ? '(the search ran out of time; results are partial — narrow the path or add a glob)'
        : `(${result.totalMatches - matches.length} more matching lines in ${plural(result.filesWithMatches, 'file')} not shown — narrow the search)`,
    );
  }
  for (const skip of result.notableSkips) {
    lines.push(`(skipped ${skip.path}: ${skip.reason.replace('-', ' ')})`);
  }
  return {
    matches,
    totalMatches: result.totalMatches,
    filesWithMatches: result.filesWithMatches,
    filesScanned: result.filesScanned,
    truncated: result.truncated,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    output: lines.join('\n'),
  };
}
