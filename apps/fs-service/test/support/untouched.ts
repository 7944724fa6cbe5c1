import { closeSync, constants, openSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { expect } from 'vitest';

/** Reads a file with O_NOATIME, so a check that nothing read it does not itself move its atime. */
export function readWithoutAtime(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOATIME);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The file outside every root is as it was: same content, inode, mtime and atime (nothing read,
 * wrote or replaced it), and still alone in its folder (nothing was created beside it).
 */
export function expectFileUntouched(file: string, before: Stats, content: string): void {
  const now = statSync(file);
  expect(readWithoutAtime(file)).toBe(content);
  expect(now.ino).toBe(before.ino);
  expect(now.mtimeMs).toBe(before.mtimeMs);
  expect(now.atimeMs).toBe(before.atimeMs);
  expect(readdirSync(dirname(file))).toEqual([basename(file)]);
}
