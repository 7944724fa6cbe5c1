import { StewardError } from '@steward/contracts';
import { describe, expect, it } from 'vitest';
import {
  isInsideStewardHome,
  isProtectedForWrite,
  isWithin,
  protectedPatternFor,
  PROTECTED_WRITE_PATTERNS,
  relativeWithin,
  validateRequestedPath,
} from './path-rules.js';

function refusal(path: string): StewardError {
  try {
    validateRequestedPath(path);
  } catch (error) {
    if (error instanceof StewardError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(path)} was accepted`);
}

describe('validateRequestedPath', () => {
  it('returns the normalized absolute path', () => {
    expect(validateRequestedPath('/a/work/notes.txt')).toBe('/a/work/notes.txt');
    expect(validateRequestedPath('/a//work/./notes.txt/')).toBe('/a/work/notes.txt');
    expect(validateRequestedPath('/')).toBe('/');
  });

  it('applies `..` lexically while the path stays under /', () => {
    expect(validateRequestedPath('/a/work/sub/../notes.txt')).toBe('/a/work/notes.txt');
    expect(validateRequestedPath('/a/work/../work-secrets/key')).toBe('/a/work-secrets/key');
  });

  it('refuses `..` that climbs above / as OUTSIDE_ROOT', () => {
    const error = refusal('/a/../../etc/passwd');
    expect(error.code).toBe('OUTSIDE_ROOT');
    expect(error.message).toMatch(/climbs above/);
  });

  it.each([
    ['a relative path with ../', '../etc/passwd', /absolute/],
    ['a bare relative name', 'notes.txt', /absolute/],
    ['a home shortcut', '~/.ssh/id_rsa', /`~` is not expanded/],
    ['another user’s home shortcut', '~root/.bashrc', /`~` is not expanded/],
    ['percent-encoded dots', '/a/work/%2e%2e/%2E%2E/etc/passwd', /percent-encoded/],
    ['a percent-encoded slash', '/a/work/..%2fsecret', /percent-encoded/],
    ['a percent-encoded backslash', '/a/work/..%5Csecret', /percent-encoded/],
    ['a NUL byte', '/a/work/notes.txt\0.png', /NUL byte/],
    ['a backslash', '/a/work\\..\\secret', /backslash/],
    ['an empty path', '', /empty/],
    ['a path over 4096 bytes', `/${'a/'.repeat(2500)}`, /longer than 4096 bytes/],
    ['a 300-byte component', `/a/work/${'x'.repeat(300)}`, /longer than 255 bytes/],
    ['a component of 128 two-byte characters', `/a/${'é'.repeat(128)}`, /longer than 255 bytes/],
  ])('refuses %s as INVALID_INPUT naming the problem', (_label, path, message) => {
    const error = refusal(path);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(message);
  });

  it('accepts a 4096-byte path and a 255-byte component', () => {
    const name = 'n'.repeat(255);
    expect(validateRequestedPath(`/a/${name}`)).toBe(`/a/${name}`);
    const long = `/${'b/'.repeat(2047)}c`;
    expect(Buffer.byteLength(long)).toBe(4096);
    expect(validateRequestedPath(long)).toBe(long);
  });

  it('keeps names that merely contain dots or tildes', () => {
    expect(validateRequestedPath('/a/work/..hidden/~draft.txt')).toBe('/a/work/..hidden/~draft.txt');
    expect(validateRequestedPath('/a/work/100%/plan.txt')).toBe('/a/work/100%/plan.txt');
  });
});

describe('isWithin', () => {
  it('compares whole segments, so /a/work does not contain /a/work-secrets', () => {
    expect(isWithin('/a/work', '/a/work-secrets')).toBe(false);
    expect(isWithin('/a/work', '/a/work-secrets/key')).toBe(false);
    expect(isWithin('/a/work', '/a/workshop')).toBe(false);
  });

  it('contains the folder itself and everything below it', () => {
    expect(isWithin('/a/work', '/a/work')).toBe(true);
    expect(isWithin('/a/work', '/a/work/')).toBe(true);
    expect(isWithin('/a/work', '/a/work/sub/file.txt')).toBe(true);
    expect(isWithin('/', '/etc/passwd')).toBe(true);
  });

  it('does not contain a parent or a sibling', () => {
    expect(isWithin('/a/work', '/a')).toBe(false);
    expect(isWithin('/a/work', '/b/work')).toBe(false);
  });

  it('fails closed on relative or un-normalized input', () => {
    expect(isWithin('/a/work', '/a/work/../../etc')).toBe(false);
    expect(isWithin('/a/work', 'a/work/file')).toBe(false);
    expect(isWithin('a/work', '/a/work/file')).toBe(false);
  });

  it('gives the relative path of a contained one', () => {
    expect(relativeWithin('/a/work', '/a/work/sub/file.txt')).toBe('sub/file.txt');
    expect(relativeWithin('/a/work', '/a/work')).toBe('');
    expect(relativeWithin('/', '/etc')).toBe('etc');
  });
});

describe('protected write patterns', () => {
  it.each([
    '.git/hooks/pre-commit',
    '.git/hooks',
    'vendor/lib/.git/hooks/post-checkout',
    '.git/config',
    'nested/repo/.git/config',
    '.bashrc',
    'home/me/.bash_profile',
    '.profile',
    '.zshrc',
    '.zprofile',
    '.zshenv',
    '.config/fish/config.fish',
    'me/.config/fish/config.fish',
    '.vscode',
    '.vscode/tasks.json',
    'project/.vscode/settings.json',
    '.mcp.json',
    'project/.mcp.json',
    '/home/me/work/.git/hooks/pre-push',
    '.GIT/Hooks/pre-commit',
    '.VSCode/tasks.json',
  ])('protects %s', (path) => {
    expect(isProtectedForWrite(path)).toBe(true);
  });

  it.each([
    'notes.txt',
    '.git/HEAD',
    '.git/objects/ab/cdef',
    '.gitconfig.example/readme',
    'config/.git-config',
    '.bashrc.bak',
    'docs/bashrc',
    '.config/fish/functions/x.fish',
    'mcp.json',
    '.vscode-extensions/readme.md',
    'hooks/.git',
  ])('leaves %s writable', (path) => {
    expect(isProtectedForWrite(path)).toBe(false);
  });

  it('names the pattern a path hit', () => {
    expect(protectedPatternFor('a/.git/hooks/pre-commit')).toBe('.git/hooks/**');
    expect(protectedPatternFor('a/.zshrc')).toBe('.zshrc');
  });

  it('lists every pattern the threat model names', () => {
    for (const pattern of ['.git/hooks/**', '.git/config', '.bashrc', '.zshrc', '.vscode/**', '.mcp.json']) {
      expect(PROTECTED_WRITE_PATTERNS).toContain(pattern);
    }
  });
});

describe('isInsideStewardHome', () => {
  it('matches the home and below it, by segment', () => {
    expect(isInsideStewardHome('/home/me/.steward', '/home/me/.steward')).toBe(true);
    expect(isInsideStewardHome('/home/me/.steward/run/nats/ui.json', '/home/me/.steward')).toBe(true);
    expect(isInsideStewardHome('/home/me/.steward-notes/a.txt', '/home/me/.steward')).toBe(false);
    expect(isInsideStewardHome('/home/me/work/a.txt', '/home/me/.steward')).toBe(false);
  });
});
