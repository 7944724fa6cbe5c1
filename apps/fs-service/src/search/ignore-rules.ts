import { compileGlob, type GlobMatcher } from './glob-pattern.js';

/** Folders never searched, at any depth, whatever the .gitignore says. */
export const ALWAYS_IGNORED_DIRECTORIES: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  '.venv',
  '__pycache__',
]);
/** Files never searched, at any depth. */
export const ALWAYS_IGNORED_FILES: ReadonlySet<string> = new Set(['.DS_Store']);

/** A .gitignore longer than this is read up to here: the search must not be held up by it. */
export const GITIGNORE_MAX_BYTES = 256 * 1024;
export const GITIGNORE_MAX_RULES = 2_000;

/**
 * One rule of the .gitignore subset honoured, read from the `.gitignore` at the top of a connected
 * folder only (not nested ones, not `.git/info/exclude` or the global excludes file):
 *
 * - blank lines and `#` comments are skipped; `\#` and `\!` start a pattern with `#` or `!`;
 * - a trailing `/` restricts the rule to folders (`build/`);
 * - a pattern with no other `/` matches a name at any depth (`secrets.txt`, `*.log`, `tmp*`);
 * - a pattern with a leading or inner `/` is relative to the folder's top (`/dist`, `docs/out`,
 *   `logs/**`);
 * - wildcards `*`, `?`, `[…]`, `**` as git has them (see glob-pattern.ts; no `{a,b}` here);
 * - an ignored folder is not entered, so everything below it is ignored too.
 *
 * Not supported, and skipped (so the search may cover more than git would, never less through
 * these): negation (`!pattern`), trailing-space escapes, and rules past {@link GITIGNORE_MAX_RULES}.
 */
export interface IgnoreRule {
  readonly pattern: string;
  readonly directoryOnly: boolean;
  /** Matched against the path from the folder's top, not against the name alone. */
  readonly anchored: boolean;
}

export interface ParsedGitignore {
  readonly rules: readonly IgnoreRule[];
  /** Lines that are rules in git but not in the subset above, as written. */
  readonly unsupported: readonly string[];
}

const WILDCARD = /[*?[\\]/;

export function parseGitignore(text: string): ParsedGitignore {
  const rules: IgnoreRule[] = [];
  const unsupported: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = trimUnescapedTrailingSpace(rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine);
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('!') || rules.length >= GITIGNORE_MAX_RULES) {
      unsupported.push(line);
      continue;
    }
    let pattern = line.startsWith('\\#') || line.startsWith('\\!') ? line.slice(1) : line;
    const directoryOnly = pattern.endsWith('/');
    while (pattern.endsWith('/')) pattern = pattern.slice(0, -1);
    const anchored = pattern.includes('/');
    while (pattern.startsWith('/')) pattern = pattern.slice(1);
    if (pattern === '') continue;
    try {
      compileGlob(pattern, { braces: false });
    } catch {
      unsupported.push(line);
      continue;
    }
    rules.push({ pattern, directoryOnly, anchored });
  }
  return { rules, unsupported };
}

/** Trailing spaces are not part of a git pattern unless escaped; done by hand to stay linear. */
function trimUnescapedTrailingSpace(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t') && line[end - 2] !== '\\') end--;
  return line.slice(0, end);
}

/** Decides, entry by entry during a walk, what the fixed names and the .gitignore rules exclude. */
export class IgnoreMatcher {
  private readonly names = new Set<string>();
  private readonly directoryNames = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly general: { rule: IgnoreRule; matcher: GlobMatcher }[] = [];

  constructor(rules: readonly IgnoreRule[] = []) {
    for (const rule of rules) {
      if (!rule.anchored && !WILDCARD.test(rule.pattern)) {
        (rule.directoryOnly ? this.directoryNames : this.names).add(rule.pattern);
      } else if (
        !rule.anchored &&
        !rule.directoryOnly &&
        rule.pattern.startsWith('*') &&
        !WILDCARD.test(rule.pattern.slice(1))
      ) {
        this.suffixes.push(rule.pattern.slice(1));
      } else {
        this.general.push({ rule, matcher: compileGlob(rule.pattern, { braces: false }) });
      }
    }
  }

  /**
   * @param relativePath the entry's path from the top of the connected folder
   * @param name the entry's own name (the last segment of relativePath)
   */
  ignores(relativePath: string, name: string, isDirectory: boolean): boolean {
    if (isDirectory ? ALWAYS_IGNORED_DIRECTORIES.has(name) : ALWAYS_IGNORED_FILES.has(name)) return true;
    if (this.names.has(name) || (isDirectory && this.directoryNames.has(name))) return true;
    for (const suffix of this.suffixes) if (name.endsWith(suffix)) return true;
    for (const { rule, matcher } of this.general) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.anchored ? matcher.matches(relativePath) : matcher.matchesName(name)) return true;
    }
    return false;
  }
}
