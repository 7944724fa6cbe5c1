import path from 'node:path';
import { compileGlob, globHasSeparator, type GlobMatcher } from '../search/glob-pattern.js';
import { parseGitignore, type IgnoreRule } from '../search/ignore-rules.js';

interface DeniedPattern {
  readonly pattern: string;
  readonly matcher: GlobMatcher;
  /** `/…`: matched against the absolute path; otherwise against the path inside the root. */
  readonly absolute: boolean;
  /** No `/`: matched against each name on the way, as in .gitignore (`.env`, `*.pem`). */
  readonly byName: boolean;
}

/**
 * Managed policy's `folders.deniedPatterns`: paths inside connected folders the agent may never read
 * or write. A path is denied when it, or any folder on its way from the root, matches: denying
 * `secrets` denies everything in it. An invalid pattern denies everything, as a managed key that
 * cannot be read fails closed.
 */
export class DeniedPaths {
  private readonly patterns: readonly DeniedPattern[];
  private readonly denyAll: string | undefined;

  constructor(patterns: readonly string[]) {
    const compiled: DeniedPattern[] = [];
    let denyAll: string | undefined;
    for (const pattern of patterns) {
      if (pattern === '**' || pattern === '/**') {
        denyAll = pattern;
        continue;
      }
      try {
        const absolute = pattern.startsWith('/');
        const body = absolute ? pattern.replace(/^\/+/, '') : pattern.replace(/^\.\//, '');
        compiled.push({
          pattern,
          matcher: compileGlob(body.replace(/\/+$/, '')),
          absolute,
          byName: !absolute && !globHasSeparator(body),
        });
      } catch {
        denyAll ??= pattern;
      }
    }
    this.patterns = compiled;
    this.denyAll = denyAll;
  }

  get empty(): boolean {
    return this.patterns.length === 0 && this.denyAll === undefined;
  }

  /** The pattern denying `realPath` (inside `root`), if one does. */
  match(realPath: string, root: string): string | undefined {
    if (this.denyAll !== undefined) return this.denyAll;
    if (this.patterns.length === 0) return undefined;
    const relative = path.posix.relative(root, realPath);
    if (relative === '' || relative.startsWith('..')) return undefined;
    const segments = relative.split('/');
    for (let end = 1; end <= segments.length; end += 1) {
      const prefix = segments.slice(0, end).join('/');
      const name = segments[end - 1] ?? '';
      for (const denied of this.patterns) {
        const hit = denied.absolute
          ? denied.matcher.matches(path.posix.join(root, prefix).slice(1))
          : denied.byName
            ? denied.matcher.matchesName(name)
            : denied.matcher.matches(prefix);
        if (hit) return denied.pattern;
      }
    }
    return undefined;
  }

  /**
   * The same patterns as .gitignore rules, so a search never reads a denied file in the first
   * place. Absolute patterns become rules for the root they fall in.
   */
  ignoreRulesFor(root: string): IgnoreRule[] {
    if (this.denyAll !== undefined) return [...parseGitignore('*').rules];
    const lines: string[] = [];
    for (const denied of this.patterns) {
      if (!denied.absolute) {
        lines.push(denied.pattern.replace(/^\.\//, ''));
        continue;
      }
      const inside = path.posix.relative(root, denied.pattern);
      if (inside !== '' && !inside.startsWith('..')) lines.push(`/${inside}`);
    }
    return [...parseGitignore(lines.join('\n')).rules];
  }
}
