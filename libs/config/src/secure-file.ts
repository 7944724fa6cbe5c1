import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';

export type SecureReadResult =
  | { readonly ok: true; readonly stats: Stats; readonly text: string }
  | {
      readonly ok: false;
      readonly reason: 'missing' | 'symlink' | 'not-a-file' | 'unreadable';
      readonly detail: string;
    };

/**
 * Reads a file through one descriptor so the ownership and mode we check belong to the bytes we
 * read: checking a path and then opening it again leaves room for a swap in between.
 */
export function readFileNoFollow(path: string): SecureReadResult {
  try {
    if (lstatSync(path).isSymbolicLink())
      return { ok: false, reason: 'symlink', detail: 'is a symbolic link' };
  } catch (error) {
    return failure(error);
  }
  let fd: number;
  try {
    // O_NOFOLLOW closes the gap between the lstat above and this open; O_NONBLOCK keeps a FIFO
    // planted at the path from hanging the reader before fstat can refuse it.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return failure(error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, reason: 'not-a-file', detail: 'is not a regular file' };
    return { ok: true, stats, text: readFileSync(fd, 'utf8') };
  } catch (error) {
    return failure(error);
  } finally {
    closeSync(fd);
  }
}

function failure(error: unknown): SecureReadResult {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return { ok: false, reason: 'missing', detail: 'does not exist' };
  if (code === 'ELOOP') return { ok: false, reason: 'symlink', detail: 'is a symbolic link' };
  return { ok: false, reason: 'unreadable', detail: `cannot be read (${code ?? String(error)})` };
}
