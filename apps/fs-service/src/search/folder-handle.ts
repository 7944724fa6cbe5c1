import {
  closeSync,
  constants,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  type Dirent,
  type Stats,
} from 'node:fs';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * On Linux a folder is opened once and everything in it is then reached through
 * `/proc/self/fd/<fd>/<name>`: the kernel resolves that to the very folder the descriptor holds,
 * like openat(2). So once the descriptor is checked to be the expected path, swapping a parent
 * folder for a symlink afterwards cannot redirect the listing or any file opened from it. (Worker
 * threads share the process's descriptor table, so this works from any of them.)
 *
 * Elsewhere there is no such path: the folder's path is used, symlinks are still never followed
 * at the last step (O_NOFOLLOW), but a parent folder swapped mid-search is not detected.
 */
const PINNED = process.platform === 'linux' && existsSync('/proc/self/fd');

export class FolderChangedError extends Error {
  override readonly name = 'FolderChangedError';
}

export class FolderHandle {
  private constructor(
    private readonly fd: number,
    /** What to prefix an entry's name with to reach it. */
    private readonly prefix: string,
  ) {}

  /**
   * Opens a folder without following a symlink in its last component and, on Linux, checks it
   * is still at `absolutePath` (no component before it was replaced by a link).
   */
  static open(absolutePath: string): FolderHandle {
    const fd = openSync(absolutePath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
    if (!PINNED) return new FolderHandle(fd, absolutePath.endsWith('/') ? absolutePath : `${absolutePath}/`);
    const pinned = `/proc/self/fd/${fd}`;
    let actual: string;
    try {
      actual = readlinkSync(pinned);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    if (actual !== absolutePath) {
      closeSync(fd);
      throw new FolderChangedError(`${absolutePath} now resolves to ${actual}`);
    }
    return new FolderHandle(fd, `${pinned}/`);
  }

  entries(): Dirent[] {
    return readdirSync(this.prefix, { withFileTypes: true });
  }

  /** For entries whose kind the listing did not give (some file systems): never follows links. */
  lstat(name: string): Stats {
    return lstatSync(this.prefix + name);
  }

  /** Opens a file of this folder for reading: never through a symlink, never blocking on a FIFO. */
  openFile(name: string): number {
    return openSync(this.prefix + name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  }

  close(): void {
    closeSync(this.fd);
  }
}
