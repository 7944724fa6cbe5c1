import { constants, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StewardError } from '@steward/contracts';
import { type Descriptor, openDescriptor, type FdHolder } from './descriptor.js';
import { errnoCode, toStewardError } from './fs-errors.js';
import {
  isInsideStewardHome,
  isWithin,
  pathComponents,
  protectedPatternFor,
  relativeWithin,
  validateRequestedPath,
} from './path-rules.js';
import type { TaskRoots } from './task-roots.js';

/*
 * Containment on Linux without openat(2) in Node.
 *
 * `/proc/self/fd/<dirfd>/<name>` makes the kernel jump to the directory the descriptor holds (not to
 * a path that may have changed since) and look `name` up inside it: openat semantics for every
 * path-based Node API. The walk opens each component that way, one name at a time, with
 * O_PATH | O_NOFOLLOW, so a component swapped for a symlink between check and use is never followed:
 * the walk sees the link itself, resolves its target lexically and continues only if the target is
 * inside one of the task's roots. Every descriptor is verified after opening with
 * readlink(/proc/self/fd/<fd>), which the kernel answers from the open file, not from a path.
 *
 * Linux-only: /proc/self/fd magic links and O_PATH. macOS needs another implementation
 * (openat + O_NOFOLLOW_ANY or F_GETPATH).
 */

/**
 * Linux O_PATH (asm-generic/fcntl.h: 010000000 on x86-64, arm64, arm, riscv64, ppc64le, s390x), which
 * Node does not export. An O_PATH descriptor names an inode without opening it: no read permission
 * needed (only search permission on the way, as for any path lookup), no side effect on FIFOs or
 * devices, and with O_NOFOLLOW it names a symlink itself instead of failing, so fstat on it says
 * exactly what sits at that name at that moment.
 */
const O_PATH = 0o10000000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/** Same bound as the kernel's own symlink resolution (MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;
/** How often one open may restart a step because the tree changed under it before giving up. */
const MAX_RETRIES = 32;
/** Folders one open may create: a 4096-byte path has at most 2048 components. */
const MAX_CREATED_FOLDERS = 2048;

/**
 * `entry` names the object at the path itself, whatever its kind, without following a symlink in
 * the last component: what a move or a delete acts on. It counts as a write.
 */
export type OpenIntentKind = 'read-file' | 'list-dir' | 'write-file' | 'make-dir' | 'stat' | 'entry';

export interface OpenIntent {
  readonly kind: OpenIntentKind;
  /** For `write-file`, `make-dir` and `entry`: create missing folders on the way, each inside the root. */
  readonly createParents?: boolean;
}

export interface OpenOptions {
  /** Managed policy lets writes reach protected paths (`.git/hooks`, shell rc files, …) and Steward's home. */
  readonly allowProtectedWrites?: boolean;
  /** Real path of Steward's home: nothing inside it is read, and writes need `allowProtectedWrites`. */
  readonly stewardHome?: string;
  /**
   * Managed policy's denied paths: the matched pattern when the agent may never read or write
   * `realPath` (inside `root`), else undefined.
   */
  readonly deniedPattern?: (realPath: string, root: string) => string | undefined;
}

/**
 * A path that passed containment. `fd` is a readable descriptor on the object itself (a regular file
 * or a folder; `undefined` when it does not exist, is another kind of object, or — for `stat`,
 * `write-file` and `make-dir` — may not be read). `parentFd` is an O_PATH descriptor on the verified
 * folder that holds `name`: create, replace or remove `name` through `fdPath(parentFd, name)`. For
 * a root itself, `parentFd` is the root and `name` is `.` (which `fdPath` refuses: a root is never
 * replaced or removed by name). Always `close()` it.
 */
export interface OpenedPath {
  readonly intent: OpenIntentKind;
  readonly realPath: string;
  readonly root: string;
  /** Relative to `root`, `/`-separated; `''` for the root itself. */
  readonly relativePath: string;
  readonly isRoot: boolean;
  readonly fd: Descriptor | undefined;
  readonly stats: Stats | undefined;
  readonly exists: boolean;
  readonly parentFd: Descriptor;
  readonly name: string;
  /** Folders this open created on the way (`createParents`), outermost first, as real paths. */
  readonly createdFolders: readonly string[];
  close(): Promise<void>;
}

/**
 * The path that reaches what `handle` refers to, or the entry `name` inside that folder, through the
 * descriptor rather than through a path that may have changed.
 */
export function fdPath(handle: FdHolder, name?: string): string {
  if (handle.fd < 0) throw new StewardError('INTERNAL', 'a containment descriptor was used after close');
  if (name === undefined) return `/proc/self/fd/${handle.fd}`;
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new StewardError('INVALID_INPUT', `"${name}" is not a single file name`);
  }
  return `/proc/self/fd/${handle.fd}/${name}`;
}

/**
 * Opens `requestedPath` for `intent` if, and only if, it stays inside one of `roots` at every step.
 * Nothing outside the roots is opened, stat'ed, read or written: a symlink's target is judged
 * lexically before the walk goes anywhere near it.
 */
export async function openInside(
  roots: TaskRoots,
  requestedPath: string,
  intent: OpenIntent,
  options: OpenOptions = {},
): Promise<OpenedPath> {
  await requireProcFd();
  const normalized = validateRequestedPath(requestedPath);
  if (roots.rootOf(normalized) === undefined) {
    throw new StewardError('OUTSIDE_ROOT', `${requestedPath} is outside the folders connected to this task`);
  }
  const walk = new Walk(roots, requestedPath, intent, options);
  try {
    return walk.run(normalized);
  } catch (error) {
    throw toStewardError(error, requestedPath);
  } finally {
    walk.dispose();
  }
}

let procFdCheck: Promise<void> | undefined;

function requireProcFd(): Promise<void> {
  procFdCheck ??= (async () => {
    const info =
      process.platform === 'linux' ? await stat('/proc/self/fd').catch(() => undefined) : undefined;
    if (!info?.isDirectory()) {
      throw new StewardError(
        'UNAVAILABLE',
        'fs-service needs Linux with /proc mounted to contain file access',
        {
          retryable: false,
        },
      );
    }
  })();
  return procFdCheck;
}

type Step =
  | { readonly kind: 'missing' }
  | { readonly kind: 'link'; readonly target: string; readonly stats: Stats }
  | { readonly kind: 'object'; readonly handle: Descriptor; readonly stats: Stats }
  | { readonly kind: 'changed' };

function isWriteIntent(kind: OpenIntentKind): boolean {
  return kind === 'write-file' || kind === 'make-dir' || kind === 'entry';
}

function describeKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'an object of unknown kind';
}

/** One walk from a root to the requested object; owns every descriptor until it hands them over. */
class Walk {
  private dir: Descriptor | undefined;
  private dirReal = '';
  private root = '';
  private hops = 0;
  private retries = 0;
  private created = 0;
  private readonly createdFolders: string[] = [];

  constructor(
    private readonly roots: TaskRoots,
    private readonly requested: string,
    private readonly intent: OpenIntent,
    private readonly options: OpenOptions,
  ) {}

  run(target: string): OpenedPath {
    let pending = this.enter(target);
    for (;;) {
      const name = pending[0];
      if (name === undefined) return this.finishAtRoot();
      const step = this.look(name);
      if (step.kind === 'changed') {
        this.countRetry();
        continue;
      }
      if (step.kind === 'link' && pending.length === 1 && this.intent.kind === 'entry') {
        return this.finishAtLink(name, step.stats);
      }
      if (step.kind === 'link') {
        pending = this.enter(this.follow(step.target, pending.slice(1)));
        continue;
      }
      if (pending.length === 1) return this.finish(name, step);
      if (step.kind === 'missing') {
        this.createParent(name, pending);
        continue;
      }
      this.descend(name, step.handle, step.stats);
      pending = pending.slice(1);
    }
  }

  dispose(): void {
    const dir = this.dir;
    this.dir = undefined;
    dir?.closeSync();
  }

  /** Starts (again) from the root holding `target`; returns the components still to walk. */
  private enter(target: string): string[] {
    const root = this.roots.rootOf(target);
    if (root === undefined) throw this.outside();
    this.dispose();
    // The root path itself is trusted as connected (TaskRoots checked it is real); the check after
    // opening catches an ancestor swapped since then.
    const handle = openDescriptor(root, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    this.dir = handle;
    const real = readlinkSync(fdPath(handle));
    if (real !== root) {
      throw new StewardError(
        'OUTSIDE_ROOT',
        `connected folder ${root} now resolves to ${real}; refusing to use it`,
      );
    }
    this.root = root;
    this.dirReal = root;
    return pathComponents(relativeWithin(root, target));
  }

  private currentDir(): Descriptor {
    if (this.dir === undefined) throw new StewardError('INTERNAL', 'containment walk has no folder open');
    return this.dir;
  }

  /** What sits at `name` in the current folder, seen through one O_PATH descriptor. */
  private look(name: string): Step {
    const dir = this.currentDir();
    let handle: Descriptor;
    try {
      handle = openDescriptor(fdPath(dir, name), O_PATH | O_NOFOLLOW);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { kind: 'missing' };
      throw error;
    }
    let stats: Stats;
    try {
      stats = handle.statSync();
    } catch (error) {
      handle.closeSync();
      throw error;
    }
    if (!stats.isSymbolicLink()) return { kind: 'object', handle, stats };
    handle.closeSync();
    try {
      // Whatever link sits there when we read it is judged on its own target, so a swap between
      // the fstat and this read cannot lead anywhere unchecked.
      return { kind: 'link', target: readlinkSync(fdPath(dir, name)), stats };
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EINVAL' || code === 'ENOENT') return { kind: 'changed' };
      throw error;
    }
  }

  /** The absolute path to walk next after a symlink, refused if its target leaves every root. */
  private follow(linkTarget: string, rest: readonly string[]): string {
    this.hops += 1;
    if (this.hops > MAX_SYMLINK_HOPS) {
      throw new StewardError(
        'INVALID_INPUT',
        `${this.requested}: more than ${MAX_SYMLINK_HOPS} symbolic links`,
      );
    }
    // `..` in the target is applied lexically, as in requests: from `dirReal`, which holds no
    // symlinks, that matches the kernel. The result is judged against the roots before anything at
    // it is touched, then walked component by component like any request.
    const resolved = path.posix.resolve(this.dirReal, linkTarget);
    if (this.roots.rootOf(resolved) === undefined) throw this.outside(' through a symbolic link');
    return path.posix.join(resolved, ...rest);
  }

  private descend(name: string, handle: Descriptor, stats: Stats): void {
    try {
      if (!stats.isDirectory()) {
        throw new StewardError(
          'INVALID_INPUT',
          `${this.requested}: ${name} is ${describeKind(stats)}, not a folder`,
        );
      }
      const real = this.verify(handle);
      this.dispose();
      this.dir = handle;
      this.dirReal = real;
    } catch (error) {
      handle.closeSync();
      throw error;
    }
  }

  private createParent(name: string, pending: readonly string[]): void {
    if (!isWriteIntent(this.intent.kind) || this.intent.createParents !== true) {
      throw new StewardError(
        'NOT_FOUND',
        `${this.requested}: folder ${path.posix.join(this.dirReal, name)} does not exist`,
      );
    }
    this.checkPolicy(path.posix.join(this.dirReal, ...pending), true);
    // Bounded, so a racer removing folders as fast as they are made cannot keep the walk looping.
    this.created += 1;
    if (this.created > MAX_CREATED_FOLDERS) {
      throw new StewardError(
        'UNAVAILABLE',
        `${this.requested}: its folders kept disappearing while being created`,
      );
    }
    try {
      mkdirSync(fdPath(this.currentDir(), name), 0o777);
      this.createdFolders.push(path.posix.join(this.dirReal, name));
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      this.countRetry();
    }
  }

  /** The real path the kernel reports for an open descriptor, which must still be inside the root. */
  private verify(handle: Descriptor): string {
    const real = readlinkSync(fdPath(handle));
    if (!isWithin(this.root, real)) throw this.outside();
    return real;
  }

  private finishAtRoot(): OpenedPath {
    const root = this.currentDir();
    const stats = root.statSync();
    this.checkKind(stats);
    this.checkPolicy(this.root, isWriteIntent(this.intent.kind));
    const fd = this.reopen(root, stats);
    return this.result({ realPath: this.root, name: '.', fd, stats });
  }

  /** `entry` on a symlink: the link itself, never what it points to. */
  private finishAtLink(name: string, stats: Stats): OpenedPath {
    const realPath = path.posix.join(this.dirReal, name);
    this.checkPolicy(realPath, true);
    return this.result({ realPath, name, fd: undefined, stats });
  }

  private finish(name: string, step: Exclude<Step, { kind: 'link' | 'changed' }>): OpenedPath {
    const kind = this.intent.kind;
    if (step.kind === 'missing') {
      if (kind === 'read-file' || kind === 'list-dir') {
        throw new StewardError('NOT_FOUND', `${this.requested} does not exist`);
      }
      const realPath = path.posix.join(this.dirReal, name);
      this.checkPolicy(realPath, isWriteIntent(kind));
      return this.result({ realPath, name, fd: undefined, stats: undefined });
    }
    const { handle, stats } = step;
    let fd: Descriptor | undefined;
    try {
      const realPath = this.verify(handle);
      if (stats.nlink === 0) {
        throw new StewardError('NOT_FOUND', `${this.requested} was deleted while being opened`);
      }
      this.checkKind(stats);
      this.checkPolicy(realPath, isWriteIntent(kind));
      if (kind === 'write-file' && stats.nlink > 1) {
        throw new StewardError(
          'DENIED_BY_POLICY',
          `${this.requested} has ${stats.nlink} hard links; writing it would change the other names too`,
        );
      }
      fd = this.reopen(handle, stats);
      return this.result({ realPath, name, fd, stats });
    } catch (error) {
      fd?.closeSync();
      throw error;
    } finally {
      handle.closeSync();
    }
  }

  /** Refuses an object of the wrong kind for the intent; FIFOs, sockets and devices are never opened. */
  private checkKind(stats: Stats): void {
    const shown = this.requested;
    switch (this.intent.kind) {
      case 'read-file':
      case 'write-file':
        if (stats.isDirectory()) throw new StewardError('INVALID_INPUT', `${shown} is a folder, not a file`);
        if (!stats.isFile()) {
          throw new StewardError(
            'INVALID_INPUT',
            `${shown} is not a regular file (it is ${describeKind(stats)})`,
          );
        }
        return;
      case 'list-dir':
        if (!stats.isDirectory()) {
          throw new StewardError('INVALID_INPUT', `${shown} is not a folder (it is ${describeKind(stats)})`);
        }
        return;
      case 'make-dir':
        if (!stats.isDirectory()) {
          throw new StewardError('EXISTS', `${shown} already exists and is ${describeKind(stats)}`);
        }
        return;
      case 'stat':
      case 'entry':
        return;
    }
  }

  private checkPolicy(realPath: string, writing: boolean): void {
    const denied = this.options.deniedPattern?.(realPath, this.root);
    if (denied !== undefined) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${this.requested} is off limits: your organization's policy denies ${denied}`,
        { details: { pattern: denied } },
      );
    }
    const allowed = writing && this.options.allowProtectedWrites === true;
    const home = this.options.stewardHome;
    if (home !== undefined && !allowed && isInsideStewardHome(realPath, home)) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${this.requested} is inside Steward's own home (credentials, trash, journal), which file tools never touch`,
      );
    }
    if (!writing || allowed) return;
    const pattern = protectedPatternFor(realPath);
    if (pattern !== undefined) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `writing ${this.requested} is refused: it matches the protected pattern ${pattern}`,
        { details: { pattern } },
      );
    }
  }

  /**
   * A readable descriptor on the very inode the O_PATH descriptor names (reopening the magic link
   * involves no further lookup). Only regular files and folders get one.
   */
  private reopen(handle: Descriptor, stats: Stats): Descriptor | undefined {
    if (!stats.isFile() && !stats.isDirectory()) return undefined;
    try {
      return openDescriptor(fdPath(handle), O_RDONLY | (stats.isDirectory() ? O_DIRECTORY : 0));
    } catch (error) {
      const code = errnoCode(error);
      const mustRead = this.intent.kind === 'read-file' || this.intent.kind === 'list-dir';
      if (!mustRead && (code === 'EACCES' || code === 'EPERM')) return undefined;
      throw error;
    }
  }

  private result(found: {
    realPath: string;
    name: string;
    fd: Descriptor | undefined;
    stats: Stats | undefined;
  }): OpenedPath {
    const parentFd = this.currentDir();
    this.dir = undefined;
    const { fd } = found;
    let closed = false;
    return {
      intent: this.intent.kind,
      realPath: found.realPath,
      root: this.root,
      relativePath: relativeWithin(this.root, found.realPath),
      isRoot: found.realPath === this.root,
      fd,
      stats: found.stats,
      exists: found.stats !== undefined,
      parentFd,
      name: found.name,
      createdFolders: [...this.createdFolders],
      async close() {
        if (closed) return;
        closed = true;
        fd?.closeSync();
        parentFd.closeSync();
      },
    };
  }

  private countRetry(): void {
    this.retries += 1;
    if (this.retries > MAX_RETRIES) {
      throw new StewardError(
        'UNAVAILABLE',
        `${this.requested} kept changing while it was being opened; try again`,
      );
    }
  }

  private outside(how = ''): StewardError {
    return new StewardError(
      'OUTSIDE_ROOT',
      `${this.requested} leads outside the folders connected to this task${how}`,
    );
  }
}
