import { StewardError } from '@steward/contracts';
import { describe, expect, it } from 'vitest';
import { toStewardError } from './fs-errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: /proc/self/fd/12/x`), { code });

describe('toStewardError', () => {
  it.each([
    ['ENOENT', 'NOT_FOUND'],
    ['EACCES', 'FORBIDDEN'],
    ['EPERM', 'FORBIDDEN'],
    ['EROFS', 'FORBIDDEN'],
    ['ENOTDIR', 'INVALID_INPUT'],
    ['EISDIR', 'INVALID_INPUT'],
    ['ENAMETOOLONG', 'INVALID_INPUT'],
    ['ELOOP', 'INVALID_INPUT'],
    ['EEXIST', 'EXISTS'],
    ['ENOSPC', 'UNAVAILABLE'],
    ['EMFILE', 'UNAVAILABLE'],
    ['EIO', 'INTERNAL'],
  ])('maps %s to %s and names the path the caller asked for', (code, expected) => {
    const error = toStewardError(errno(code), '/a/work/notes.txt');
    expect(error).toBeInstanceOf(StewardError);
    expect(error.code).toBe(expected);
    expect(error.message).toContain('/a/work/notes.txt');
    expect(error.message).not.toContain('/proc/self/fd');
  });

  it('marks a full disk as not worth retrying and a busy system as retryable', () => {
    expect(toStewardError(errno('ENOSPC'), '/a').retryable).toBe(false);
    expect(toStewardError(errno('EMFILE'), '/a').retryable).toBe(true);
  });

  it('passes a StewardError through unchanged', () => {
    const original = new StewardError('OUTSIDE_ROOT', 'outside');
    expect(toStewardError(original, '/a')).toBe(original);
  });

  it('types a non-errno throw as INTERNAL', () => {
    expect(toStewardError('boom', '/a').code).toBe('INTERNAL');
  });
});
