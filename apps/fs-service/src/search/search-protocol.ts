import type { GrepPattern } from './grep-pattern.js';
import type { IgnoreRule } from './ignore-rules.js';
import type { SearchLimits } from './search-limits.js';

/** One folder tree a search covers. */
export interface ScopeSpec {
  /** The connected folder (a real path) holding the search: its .gitignore applies. */
  readonly root: string;
  /** The folder searched, relative to root ('' is root itself); glob patterns are relative to it. */
  readonly base: string;
  readonly ignoreRules: readonly IgnoreRule[];
}

export type JobSpec =
  | {
      readonly kind: 'grep';
      readonly scopes: readonly ScopeSpec[];
      readonly pattern: GrepPattern;
      /** Only files matching this glob (by name without `/`, by path from base with one). */
      readonly fileGlob?: string;
      readonly limits: SearchLimits;
    }
  | {
      readonly kind: 'glob';
      readonly scopes: readonly ScopeSpec[];
      readonly pattern: string;
      readonly limits: SearchLimits;
    };

/** A unit of work: one folder, or a share of a large folder's files. */
export interface WorkItem {
  readonly scope: number;
  /** The folder, relative to the scope's root ('' is the root). */
  readonly dir: string;
  /** Search exactly these regular files of the folder instead of listing it. */
  readonly files?: readonly string[];
}

/** A file (or folder) that stalled a worker: every worker skips it from then on, counting it once. */
export interface StalledPath {
  readonly scope: number;
  /** Relative to the scope's root. */
  readonly path: string;
}

export type ToWorker =
  | {
      readonly type: 'job';
      readonly jobId: number;
      readonly spec: JobSpec;
      readonly stop: SharedArrayBuffer;
      readonly stalled: readonly StalledPath[];
    }
  | {
      readonly type: 'batch';
      readonly jobId: number;
      readonly batchId: number;
      readonly items: readonly WorkItem[];
    }
  | { readonly type: 'stalled'; readonly jobId: number; readonly stalled: StalledPath }
  | { readonly type: 'end'; readonly jobId: number };

export interface WorkerData {
  /** This worker's heartbeat (see {@link Heartbeat}). */
  readonly heartbeat: SharedArrayBuffer;
  /** Shared by the pool and all workers: slot 0 is 1 while a worker waits for work. */
  readonly hungry: SharedArrayBuffer;
}

export interface GrepHitRecord {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

export type GlobEntryKind = 'file' | 'symlink';

export interface GlobHitRecord {
  readonly path: string;
  /** Always 0: paths sort by path alone. */
  readonly line: 0;
  readonly kind: GlobEntryKind;
}

/** Why files were not searched. A skipped folder counts once, whatever it holds. */
export interface SkipCounts {
  /** A NUL byte in the first 8 KiB. */
  binary: number;
  /** Larger than `maxFileBytes`. */
  tooLarge: number;
  /** Always-ignored names (.git, node_modules, …) and the root .gitignore. */
  ignored: number;
  /** Symbolic links: never followed. */
  symlinks: number;
  /** FIFOs, sockets and devices: never opened. */
  special: number;
  /** Could not be opened or listed, or changed kind or place while being searched. */
  unreadable: number;
  /** Took longer than `fileTimeMs` (usually a regular expression that backtracks without end). */
  timedOut: number;
}

export type NotableSkipReason = 'too-large' | 'timed-out' | 'unreadable' | 'changed';

/** A file or folder the caller may want to know was left out, and why. */
export interface NotableSkip {
  readonly path: string;
  readonly line: 0;
  readonly reason: NotableSkipReason;
  readonly bytes?: number;
}

export interface BatchReport {
  readonly type: 'report';
  readonly jobId: number;
  readonly batchId: number;
  /** Work left over: found on the way (subfolders, shares of large folders) and not done yet. */
  more: WorkItem[];
  readonly grepHits: GrepHitRecord[];
  readonly globHits: GlobHitRecord[];
  /** Matching lines (grep) or matching paths (glob), all of them, kept or not. */
  matches: number;
  filesWithMatches: number;
  filesScanned: number;
  entries: number;
  readonly skipped: SkipCounts;
  readonly notable: NotableSkip[];
}

export type FromWorker =
  | BatchReport
  | { readonly type: 'failed'; readonly jobId: number; readonly batchId: number; readonly message: string };

/** Bytes of a heartbeat: four Int32 slots, then the UTF-8 path (longer than any PATH_MAX). */
export const HEARTBEAT_BYTES = 16 + 16 * 1024;

/**
 * What a worker is doing, written before every folder listing and every file, read by the pool
 * only once the worker has stopped making progress (so the two never race on the path).
 */
export class Heartbeat {
  private readonly slots: Int32Array;
  private readonly pathBytes: Buffer;

  constructor(buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer, 0, 4);
    this.pathBytes = Buffer.from(buffer, 16);
  }

  /** Called by the worker as it starts on a batch. */
  batch(batchId: number): void {
    Atomics.store(this.slots, 0, batchId);
  }

  /** Called by the worker before it lists a folder or opens a file. */
  beat(scope: number, path: string): void {
    Atomics.store(this.slots, 2, scope);
    Atomics.store(this.slots, 3, this.pathBytes.write(path, 0, 'utf8'));
    Atomics.add(this.slots, 1, 1);
  }

  get progress(): number {
    return Atomics.load(this.slots, 1);
  }

  get currentBatch(): number {
    return Atomics.load(this.slots, 0);
  }

  current(): StalledPath {
    const length = Atomics.load(this.slots, 3);
    return { scope: Atomics.load(this.slots, 2), path: this.pathBytes.toString('utf8', 0, length) };
  }
}

/** Files per work item: a larger folder is shared out among workers in items of this many. */
export const FILES_PER_ITEM = 256;

/** Bytes checked for a NUL to call a file binary. */
export const BINARY_PROBE_BYTES = 8 * 1024;

export function emptySkipCounts(): SkipCounts {
  return { binary: 0, tooLarge: 0, ignored: 0, symlinks: 0, special: 0, unreadable: 0, timedOut: 0 };
}

export function addSkipCounts(into: SkipCounts, from: Readonly<SkipCounts>): void {
  for (const key of Object.keys(into) as (keyof SkipCounts)[]) into[key] += from[key];
}

export function joinPath(root: string, relative: string): string {
  if (relative === '') return root;
  return root.endsWith('/') ? root + relative : `${root}/${relative}`;
}
