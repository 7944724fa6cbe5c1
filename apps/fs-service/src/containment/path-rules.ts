import { StewardError } from '@steward/contracts';

/** Linux PATH_MAX; a longer path could never be opened, so it is refused before any syscall. */
export const MAX_PATH_BYTES = 4096;
/** Linux NAME_MAX for the file systems people keep documents on (ext4, xfs, btrfs, tmpfs). */
export const MAX_NAME_BYTES = 255;

// Percent-encoded dot, slash, backslash and NUL: a model that copies a URL-ish path must not smuggle
// `..` or a separator past the lexical checks, and no real document name needs these sequences.
const ENCODED_TRAVERSAL = /%(2e|2f|5c|00)/i;

/**
 * Lexical checks on a path a caller asked for, before any syscall touches it. Returns the normalized
 * absolute path (`.` and empty components dropped, `..` applied lexically). Throws a typed error
 * naming the problem.
 */
export function validateRequestedPath(requested: string): string {
  if (typeof requested !== 'string' || requested.length === 0) {
    throw new StewardError('INVALID_INPUT', 'the path is empty');
  }
  if (requested.includes('\0')) {
    throw new StewardError('INVALID_INPUT', 'the path contains a NUL byte');
  }
  if (Buffer.byteLength(requested, 'utf8') > MAX_PATH_BYTES) {
    throw new StewardError('INVALID_INPUT', `the path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (requested.includes('\\')) {
    throw new StewardError('INVALID_INPUT', 'the path contains a backslash; use forward slashes');
  }
  if (ENCODED_TRAVERSAL.test(requested)) {
    throw new StewardError(
      'INVALID_INPUT',
      'the path contains a percent-encoded dot, slash, backslash or NUL (%2e, %2f, %5c, %00)',
    );
  }
  if (requested.startsWith('~')) {
    throw new StewardError('INVALID_INPUT', '`~` is not expanded; give the absolute path of the file');
  }
  if (!requested.startsWith('/')) {
    throw new StewardError('INVALID_INPUT', 'the path must be absolute (start with /)');
  }
  const kept: string[] = [];
  for (const component of requested.split('/')) {
    if (Buffer.byteLength(component, 'utf8') > MAX_NAME_BYTES) {
      throw new StewardError(
        'INVALID_INPUT',
        `the path component "${component.slice(0, 32)}…" is longer than ${MAX_NAME_BYTES} bytes`,
      );
    }
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (kept.length === 0) {
        throw new StewardError('OUTSIDE_ROOT', 'the path climbs above / with `..`');
      }
      kept.pop();
      continue;
    }
    kept.push(component);
  }
  return `/${kept.join('/')}`;
}

/** Splits a normalized absolute or relative path into its non-empty components. */
export function pathComponents(normalized: string): string[] {
  return normalized.split('/').filter((component) => component !== '' && component !== '.');
}

/**
 * Whether `child` is `parent` or below it, compared by whole path segments: `/a/work` does not
 * contain `/a/work-secrets`. Anything but two absolute paths without `..` is "not within".
 */
export function isWithin(parent: string, child: string): boolean {
  // Fails closed on input that is not normalized: a `..` left in `child` could climb back out.
  if (!parent.startsWith('/') || !child.startsWith('/')) return false;
  if (child.split('/').includes('..') || parent.split('/').includes('..')) return false;
  const parentParts = pathComponents(parent);
  const childParts = pathComponents(child);
  if (childParts.length < parentParts.length) return false;
  return parentParts.every((part, index) => childParts[index] === part);
}

/** `child` relative to `parent` (`''` when they are equal); `child` must be within `parent`. */
export function relativeWithin(parent: string, child: string): string {
  return pathComponents(child).slice(pathComponents(parent).length).join('/');
}

interface ProtectedPattern {
  /** How the pattern reads in messages and docs. */
  readonly pattern: string;
  readonly segments: readonly string[];
  /** A folder pattern protects the folder itself and everything below it. */
  readonly folder: boolean;
}

function protectedPattern(pattern: string): ProtectedPattern {
  const folder = pattern.endsWith('/**');
  const body = folder ? pattern.slice(0, -3) : pattern;
  return { pattern, segments: body.split('/'), folder };
}

/**
 * Places where a write would let text the model read turn into code that runs later (git hooks,
 * shell start-up files, editor tasks, MCP server definitions). Matched at any depth.
 */
export const PROTECTED_WRITE_PATTERNS: readonly string[] = [
  '.git/hooks/**',
  '.git/config',
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.profile',
  '.zshrc',
  '.zprofile',
  '.zshenv',
  '.zlogin',
  '.config/fish/config.fish',
  '.vscode/**',
  '.mcp.json',
];

const PATTERNS = PROTECTED_WRITE_PATTERNS.map(protectedPattern);

/**
 * The protected pattern a write to `pathInsideRoot` would hit, if any. Segments are compared without
 * case, so `.Git/Hooks` on a case-insensitive volume is caught as well. The path may be relative to a
 * root or absolute: checking the absolute real path also protects a root that sits inside such a
 * folder (a connected `~/.vscode`).
 */
export function protectedPatternFor(pathInsideRoot: string): string | undefined {
  const parts = pathComponents(pathInsideRoot).map((part) => part.toLowerCase());
  for (const { pattern, segments, folder } of PATTERNS) {
    for (let start = 0; start + segments.length <= parts.length; start += 1) {
      const matches = segments.every((segment, offset) => parts[start + offset] === segment);
      if (!matches) continue;
      if (folder || start + segments.length === parts.length) return pattern;
    }
  }
  return undefined;
}

export function isProtectedForWrite(pathInsideRoot: string): boolean {
  return protectedPatternFor(pathInsideRoot) !== undefined;
}

/** Whether a real path is Steward's own home (credentials, trash, journal) or inside it. */
export function isInsideStewardHome(realPath: string, stewardHome: string): boolean {
  return isWithin(stewardHome, realPath);
}
