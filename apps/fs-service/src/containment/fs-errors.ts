import { StewardError } from '@steward/contracts';

export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns what a file syscall threw into the typed error the caller and the model read. `shown` is the
 * path as the caller asked for it: the model knows that path, not our /proc descriptors.
 */
export function toStewardError(error: unknown, shown: string): StewardError {
  if (error instanceof StewardError) return error;
  const cause = { cause: error };
  const code = errnoCode(error);
  switch (code) {
    case 'ENOENT':
      return new StewardError('NOT_FOUND', `${shown} does not exist`, cause);
    case 'EACCES':
    case 'EPERM':
      return new StewardError('FORBIDDEN', `the operating system denies Steward access to ${shown}`, cause);
    case 'EROFS':
      return new StewardError('FORBIDDEN', `${shown} is on a read-only file system`, cause);
    case 'ENOTDIR':
      return new StewardError('INVALID_INPUT', `${shown}: a part of the path is not a folder`, cause);
    case 'EISDIR':
      return new StewardError('INVALID_INPUT', `${shown} is a folder, not a file`, cause);
    case 'ENAMETOOLONG':
      return new StewardError('INVALID_INPUT', `${shown}: a name in the path is too long`, cause);
    case 'ELOOP':
      return new StewardError('INVALID_INPUT', `${shown}: too many levels of symbolic links`, cause);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new StewardError('EXISTS', `${shown} already exists`, cause);
    case 'ENOSPC':
    case 'EDQUOT':
      return new StewardError('UNAVAILABLE', `no space left to write ${shown}`, {
        ...cause,
        retryable: false,
      });
    case 'EMFILE':
    case 'ENFILE':
    case 'ENOMEM':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EINTR':
      return new StewardError(
        'UNAVAILABLE',
        `the system is busy; ${shown} could not be reached right now`,
        cause,
      );
    default:
      return new StewardError(
        'INTERNAL',
        `unexpected file system error on ${shown}${code ? ` (${code})` : ''}`,
        {
          ...cause,
          details: { errno: code },
        },
      );
  }
}
