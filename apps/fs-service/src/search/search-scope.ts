import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { StewardError } from '@steward/contracts';
import { GITIGNORE_MAX_BYTES, parseGitignore, type IgnoreRule } from './ignore-rules.js';
import { emptySkipCounts, type ScopeSpec, type SkipCounts, type WorkItem } from './search-protocol.js';

export interface SearchTarget {
  /** The real paths of the connected folders: nothing outside them is ever listed or read. */
  readonly roots: readonly string[];
  /** The real path searched (inside one of the roots); omitted, every root is searched. */
  readonly base?: string;
  /** Rules that leave more out of a root's search than its .gitignore (policy's denied paths). */
  readonly extraIgnoreRules?: (root: string) => readonly IgnoreRule[];
}

export interface PreparedScopes {
  readonly scopes: ScopeSpec[];
  readonly items: WorkItem[];
  /** What the base itself turned out to be when it is not searchable (a symlink, a FIFO). */
  readonly skipped: SkipCounts;
}

/**
 * Turns roots and base into the folders to walk. The containment module has already resolved and
 * checked the base; this checks again, cheaply, that roots and base are real paths and the base
 * lies inside a root by path segments. The walk itself never follows a symlink, so it cannot leave
 * the folder it starts in.
 */
export async function prepareScopes(
  target: SearchTarget,
  accept: { readonly files: boolean },
): Promise<PreparedScopes> {
  const roots = target.roots.map((root) => checkedAbsolute(root, 'root'));
  for (const root of roots) {
    const real = await realpath(root).catch(() => root);
    if (real !== root) throw new StewardError('INVALID_INPUT', `the search root ${root} is not a real path`);
  }
  const skipped = emptySkipCounts();
  if (target.base === undefined) {
    const scopes: ScopeSpec[] = [];
    const items: WorkItem[] = [];
    for (const root of outermost(roots)) {
      const stats = await lstat(root).catch(() => undefined);
      if (stats === undefined || !stats.isDirectory()) {
        skipped.unreadable++;
        continue;
      }
      items.push({ scope: scopes.length, dir: '' });
      scopes.push({ root, base: '', ignoreRules: [...(await readGitignore(root)), ...extra(target, root)] });
    }
    return { scopes, items, skipped };
  }
  const base = checkedAbsolute(target.base, 'path');
  const root = roots
    .filter((candidate) => isWithin(candidate, base))
    .reduce<string | undefined>(
      (best, candidate) => (best === undefined || candidate.length > best.length ? candidate : best),
      undefined,
    );
  if (root === undefined) {
    throw new StewardError('OUTSIDE_ROOT', `${base} is not inside a folder connected to this task`);
  }
  const parent = path.dirname(base);
  if (base !== root && (await realpath(parent).catch(() => parent)) !== parent) {
    throw new StewardError('OUTSIDE_ROOT', `${base} is reached through a symlink`);
  }
  const stats = await lstat(base).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      throw new StewardError('NOT_FOUND', `${base} does not exist`);
    }
    throw new StewardError('INVALID_INPUT', `${base} cannot be read: ${error.message}`);
  });
  const relative = base === root ? '' : base.slice(root.endsWith('/') ? root.length : root.length + 1);
  const scope: ScopeSpec = { root, base: relative, ignoreRules: extra(target, root) };
  if (stats.isDirectory()) {
    const scopes = [{ ...scope, ignoreRules: [...(await readGitignore(root)), ...scope.ignoreRules] }];
    return { scopes, items: [{ scope: 0, dir: relative }], skipped };
  }
  if (!accept.files) throw new StewardError('INVALID_INPUT', `${base} is not a folder`);
  // A file named on its own is searched whatever the ignore rules say: it was asked for.
  if (stats.isFile()) {
    const parent = path.posix.dirname(relative);
    return {
      scopes: [{ ...scope, base: parent === '.' ? '' : parent }],
      items: [{ scope: 0, dir: parent === '.' ? '' : parent, files: [path.posix.basename(relative)] }],
      skipped,
    };
  }
  if (stats.isSymbolicLink()) skipped.symlinks++;
  else skipped.special++;
  return { scopes: [], items: [], skipped };
}

function extra(target: SearchTarget, root: string): IgnoreRule[] {
  return [...(target.extraIgnoreRules?.(root) ?? [])];
}

function checkedAbsolute(value: string, what: string): string {
  if (value.includes('\0') || !path.isAbsolute(value) || path.resolve(value) !== value) {
    throw new StewardError(
      'INVALID_INPUT',
      `the search ${what} must be a normalized absolute path: ${value}`,
    );
  }
  return value;
}

/** Compared by path segments, never by string prefix: /a/work does not hold /a/work-secrets. */
function isWithin(parent: string, child: string): boolean {
  if (parent === child) return true;
  return child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/** Roots not inside another root: a nested one is searched as part of the outer one. */
function outermost(roots: readonly string[]): string[] {
  const unique = [...new Set(roots)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const root of unique) if (!kept.some((outer) => isWithin(outer, root))) kept.push(root);
  return kept;
}

/** The root's own .gitignore, read without following a symlink; missing or unreadable is empty. */
async function readGitignore(root: string): Promise<IgnoreRule[]> {
  let handle;
  try {
    handle = await open(
      path.join(root, '.gitignore'),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch {
    return [];
  }
  try {
    if (!(await handle.stat()).isFile()) return [];
    const buffer = Buffer.alloc(GITIGNORE_MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, GITIGNORE_MAX_BYTES, 0);
    return [...parseGitignore(buffer.toString('utf8', 0, bytesRead)).rules];
  } catch {
    return [];
  } finally {
    await handle.close();
  }
}
