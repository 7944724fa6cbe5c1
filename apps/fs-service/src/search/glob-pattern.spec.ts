import { describe, expect, it } from 'vitest';
import { StewardError } from '@steward/contracts';
import { compileGlob, globHasSeparator, MAX_ALTERNATIVES } from './glob-pattern.js';

const matches = (pattern: string, path: string) => compileGlob(pattern).matches(path);

function invalidInput(run: () => unknown): StewardError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StewardError);
    expect((error as StewardError).code).toBe('INVALID_INPUT');
    return error as StewardError;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('glob patterns', () => {
  it('matches * within one segment only', () => {
    expect(matches('*.md', 'notes.md')).toBe(true);
    expect(matches('*.md', 'docs/notes.md')).toBe(false);
    expect(matches('docs/*.md', 'docs/notes.md')).toBe(true);
    expect(matches('docs/*', 'docs/a/b.md')).toBe(false);
    expect(matches('a*b*c', 'aXXbYYc')).toBe(true);
    expect(matches('a*b*c', 'aXXbYY')).toBe(false);
  });

  it('matches ** as zero or more whole segments', () => {
    expect(matches('**/*.md', 'notes.md')).toBe(true);
    expect(matches('**/*.md', 'a/b/c/notes.md')).toBe(true);
    expect(matches('a/**/b', 'a/b')).toBe(true);
    expect(matches('a/**/b', 'a/x/y/b')).toBe(true);
    expect(matches('a/**/b', 'a/x/y/c')).toBe(false);
    expect(matches('a/**', 'a/x/y')).toBe(true);
    expect(matches('**', 'any/depth/at/all')).toBe(true);
  });

  it('treats ** inside a segment as *', () => {
    expect(matches('a**b', 'aXb')).toBe(true);
    expect(matches('a**b', 'a/b')).toBe(false);
  });

  it('matches ? as exactly one character, astral characters included', () => {
    expect(matches('file?.txt', 'file1.txt')).toBe(true);
    expect(matches('file?.txt', 'file.txt')).toBe(false);
    expect(matches('file?.txt', 'file12.txt')).toBe(false);
    expect(matches('?.txt', '😀.txt')).toBe(true);
  });

  it('matches character classes, ranges and negation', () => {
    expect(matches('[abc].txt', 'b.txt')).toBe(true);
    expect(matches('[abc].txt', 'd.txt')).toBe(false);
    expect(matches('report-[0-9][0-9].pdf', 'report-07.pdf')).toBe(true);
    expect(matches('report-[0-9].pdf', 'report-x.pdf')).toBe(false);
    expect(matches('[!a]*', 'bcd')).toBe(true);
    expect(matches('[!a]*', 'abc')).toBe(false);
    expect(matches('[^a]*', 'abc')).toBe(false);
    expect(matches('[]]x', ']x')).toBe(true);
    expect(matches('[a-]x', '-x')).toBe(true);
  });

  it('treats an unclosed [ as a plain character', () => {
    expect(matches('a[b', 'a[b')).toBe(true);
  });

  it('expands {a,b} alternatives, nested ones too', () => {
    expect(matches('*.{md,txt}', 'a.md')).toBe(true);
    expect(matches('*.{md,txt}', 'a.txt')).toBe(true);
    expect(matches('*.{md,txt}', 'a.csv')).toBe(false);
    expect(matches('{docs,notes/{a,b}}/*.md', 'notes/b/x.md')).toBe(true);
    expect(matches('{docs,notes/{a,b}}/*.md', 'notes/c/x.md')).toBe(false);
    expect(matches('{x}.md', '{x}.md')).toBe(true);
  });

  it('keeps escaped wildcards literal', () => {
    expect(matches('a\\*b', 'a*b')).toBe(true);
    expect(matches('a\\*b', 'aXb')).toBe(false);
    expect(matches('\\{a,b\\}', '{a,b}')).toBe(true);
  });

  it('lets * match names that start with a dot', () => {
    expect(matches('*', '.env')).toBe(true);
    expect(matches('**/*.yml', '.github/workflows/ci.yml')).toBe(true);
  });

  it('ignores ./ and repeated slashes', () => {
    expect(matches('./docs//*.md', 'docs/a.md')).toBe(true);
  });

  it('refuses patterns that cannot mean a path inside the folder', () => {
    expect(invalidInput(() => compileGlob('/etc/*')).message).toMatch(/relative/);
    expect(invalidInput(() => compileGlob('../*.md')).message).toMatch(/never leaves/);
    invalidInput(() => compileGlob(''));
    invalidInput(() => compileGlob('./'));
    invalidInput(() => compileGlob('a\0b'));
  });

  it('refuses alternatives that expand past the cap', () => {
    const pattern = '{a,b}'.repeat(9);
    expect(2 ** 9).toBeGreaterThan(MAX_ALTERNATIVES);
    expect(invalidInput(() => compileGlob(pattern)).message).toMatch(/alternatives/);
    expect(() => compileGlob('{a,b}'.repeat(8))).not.toThrow();
  });

  it('says which folders could hold a match, so a walk can skip the rest', () => {
    const invoices = compileGlob('invoices/2024-*.pdf');
    expect(invoices.couldMatchBelow('')).toBe(true);
    expect(invoices.couldMatchBelow('invoices')).toBe(true);
    expect(invoices.couldMatchBelow('other')).toBe(false);
    expect(invoices.couldMatchBelow('invoices/deeper')).toBe(false);
    expect(compileGlob('*.md').couldMatchBelow('docs')).toBe(false);
    expect(compileGlob('**/*.md').couldMatchBelow('a/b/c')).toBe(true);
  });

  it('matches a pattern on a name alone', () => {
    const markdown = compileGlob('*.md');
    expect(markdown.matchesName('readme.md')).toBe(true);
    expect(markdown.matchesName('readme.txt')).toBe(false);
  });

  it('tells name patterns from path patterns', () => {
    expect(globHasSeparator('*.md')).toBe(false);
    expect(globHasSeparator('build/')).toBe(false);
    expect(globHasSeparator('docs/*.md')).toBe(true);
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    const stars = `${'*a'.repeat(40)}*b`;
    const long = 'a'.repeat(4_000);
    expect(compileGlob(stars).matches(long)).toBe(false);
    const globstars = `${'**/a/'.repeat(30)}b`;
    expect(compileGlob(globstars).matches(Array(200).fill('a').join('/'))).toBe(false);
  });
});
