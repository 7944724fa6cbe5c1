import { describe, expect, it } from 'vitest';
import { GITIGNORE_MAX_RULES, IgnoreMatcher, parseGitignore } from './ignore-rules.js';

function matcherFor(text: string): IgnoreMatcher {
  return new IgnoreMatcher(parseGitignore(text).rules);
}

/** Whether the entry at this path (from the folder's top) is ignored. */
function ignored(matcher: IgnoreMatcher, relativePath: string, isDirectory = false): boolean {
  return matcher.ignores(relativePath, relativePath.split('/').at(-1) ?? relativePath, isDirectory);
}

describe('always-ignored names', () => {
  const none = new IgnoreMatcher();

  it('skips .git, node_modules, .venv and __pycache__ folders at any depth', () => {
    for (const name of ['.git', 'node_modules', '.venv', '__pycache__']) {
      expect(ignored(none, name, true)).toBe(true);
      expect(ignored(none, `deep/er/${name}`, true)).toBe(true);
    }
  });

  it('skips .DS_Store files but not files that happen to share a folder name', () => {
    expect(ignored(none, 'photos/.DS_Store')).toBe(true);
    expect(ignored(none, 'node_modules')).toBe(false);
    expect(ignored(none, 'src', true)).toBe(false);
  });
});

describe('the .gitignore subset', () => {
  it('skips blank lines and comments, and reads \\# as a literal #', () => {
    const { rules } = parseGitignore('\n# a comment\n   \n\\#notes\n');
    expect(rules).toEqual([{ pattern: '#notes', directoryOnly: false, anchored: false }]);
  });

  it('reports negation as unsupported instead of guessing', () => {
    const parsed = parseGitignore('*.log\n!keep.log\n');
    expect(parsed.unsupported).toEqual(['!keep.log']);
    expect(parsed.rules.map((rule) => rule.pattern)).toEqual(['*.log']);
  });

  it('trims unescaped trailing spaces and Windows line endings', () => {
    const { rules } = parseGitignore('secret.txt   \r\nbuild/\r\n');
    expect(rules.map((rule) => rule.pattern)).toEqual(['secret.txt', 'build']);
  });

  it('matches a plain name at any depth, files and folders alike', () => {
    const matcher = matcherFor('secret.txt\ncache\n');
    expect(ignored(matcher, 'secret.txt')).toBe(true);
    expect(ignored(matcher, 'a/b/secret.txt')).toBe(true);
    expect(ignored(matcher, 'a/cache', true)).toBe(true);
    expect(ignored(matcher, 'a/secret.txt.bak')).toBe(false);
  });

  it('restricts a pattern with a trailing slash to folders', () => {
    const matcher = matcherFor('build/\n');
    expect(ignored(matcher, 'build', true)).toBe(true);
    expect(ignored(matcher, 'src/build', true)).toBe(true);
    expect(ignored(matcher, 'build')).toBe(false);
  });

  it('matches *.ext patterns at any depth', () => {
    const matcher = matcherFor('*.log\n*.tar.gz\n');
    expect(ignored(matcher, 'server.log')).toBe(true);
    expect(ignored(matcher, 'var/old/server.log')).toBe(true);
    expect(ignored(matcher, 'backups/site.tar.gz')).toBe(true);
    expect(ignored(matcher, 'server.log.txt')).toBe(false);
  });

  it('anchors a pattern with a leading or inner slash to the folder top', () => {
    const matcher = matcherFor('/dist\ndocs/out\n');
    expect(ignored(matcher, 'dist', true)).toBe(true);
    expect(ignored(matcher, 'pkg/dist', true)).toBe(false);
    expect(ignored(matcher, 'docs/out', true)).toBe(true);
    expect(ignored(matcher, 'x/docs/out', true)).toBe(false);
  });

  it('supports wildcards inside anchored patterns and ** across folders', () => {
    const matcher = matcherFor('logs/**\n**/tmp-*\nreport-?.csv\n');
    expect(ignored(matcher, 'logs/2024/a.txt')).toBe(true);
    expect(ignored(matcher, 'a/b/tmp-1', true)).toBe(true);
    expect(ignored(matcher, 'report-1.csv')).toBe(true);
    expect(ignored(matcher, 'report-10.csv')).toBe(false);
  });

  it('takes braces literally, as git does', () => {
    const matcher = matcherFor('{a,b}.txt\n');
    expect(ignored(matcher, '{a,b}.txt')).toBe(true);
    expect(ignored(matcher, 'a.txt')).toBe(false);
  });

  it('stops at the rule cap and reports the rest as unsupported', () => {
    const lines = Array.from({ length: GITIGNORE_MAX_RULES + 3 }, (_, index) => `file-${index}`);
    const parsed = parseGitignore(lines.join('\n'));
    expect(parsed.rules).toHaveLength(GITIGNORE_MAX_RULES);
    expect(parsed.unsupported).toHaveLength(3);
  });
});
