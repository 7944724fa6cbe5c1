import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StewardError } from '@steward/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskRoots } from './task-roots.js';

let base: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'steward-roots-')));
  mkdirSync(join(base, 'work/sub'), { recursive: true });
  mkdirSync(join(base, 'work-secrets'));
  writeFileSync(join(base, 'file.txt'), 'x');
  symlinkSync(join(base, 'work'), join(base, 'work-link'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function refusal(roots: string[]): StewardError {
  try {
    new TaskRoots(roots);
  } catch (error) {
    if (error instanceof StewardError) return error;
    throw error;
  }
  throw new Error(`${roots.join(', ')} was accepted`);
}

describe('TaskRoots', () => {
  it('finds the root that holds a path, by segment', () => {
    const roots = new TaskRoots([join(base, 'work'), join(base, 'work-secrets')]);
    expect(roots.rootOf(join(base, 'work/sub/a.txt'))).toBe(join(base, 'work'));
    expect(roots.rootOf(join(base, 'work-secrets/key'))).toBe(join(base, 'work-secrets'));
    expect(roots.rootOf(join(base, 'work'))).toBe(join(base, 'work'));
    expect(roots.rootOf(join(base, 'file.txt'))).toBeUndefined();
  });

  it('does not let /x/work admit /x/work-secrets', () => {
    const roots = new TaskRoots([join(base, 'work')]);
    expect(roots.rootOf(join(base, 'work-secrets'))).toBeUndefined();
    expect(roots.rootOf(join(base, 'work-secrets/key'))).toBeUndefined();
  });

  it('drops duplicates', () => {
    const roots = new TaskRoots([join(base, 'work'), join(base, 'work')]);
    expect(roots.roots).toEqual([join(base, 'work')]);
  });

  it('accepts no roots at all, and then contains nothing', () => {
    expect(new TaskRoots([]).rootOf('/')).toBeUndefined();
  });

  it('refuses a root nested in another', () => {
    const error = refusal([join(base, 'work'), join(base, 'work/sub')]);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/is inside connected folder/);
  });

  it.each([
    ['a relative path', 'work', 'INVALID_INPUT'],
    ['an un-normalized path', '/tmp/../tmp', 'INVALID_INPUT'],
  ])('refuses %s', (_label, root, code) => {
    expect(refusal([root]).code).toBe(code);
  });

  it('refuses a missing folder as NOT_FOUND', () => {
    expect(refusal([join(base, 'missing')]).code).toBe('NOT_FOUND');
  });

  it('refuses a file', () => {
    const error = refusal([join(base, 'file.txt')]);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/not a folder/);
  });

  it('refuses a symlink, which is not a real path', () => {
    const error = refusal([join(base, 'work-link')]);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/not a real path/);
  });
});
