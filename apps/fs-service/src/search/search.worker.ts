// A search worker: lists folders and reads and matches files for the pool (search-pool.ts). It
// runs user regular expressions, so it lives on its own thread, where the pool can terminate it
// when one runs too long on a file.
import { closeSync, fstatSync, readSync, type Dirent } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { FolderChangedError, FolderHandle } from './folder-handle.js';
import { compileGlob, globHasSeparator, type GlobMatcher, type GlobState } from './glob-pattern.js';
import { IgnoreMatcher } from './ignore-rules.js';
import { createLineMatcher, scanLines, type LineMatcher, type LineSink } from './line-scan.js';
import { FirstInOrder, type Ranked } from './path-order.js';
import {
  BINARY_PROBE_BYTES,
  emptySkipCounts,
  FILES_PER_ITEM,
  Heartbeat,
  joinPath,
  type BatchReport,
  type FromWorker,
  type GrepHitRecord,
  type JobSpec,
  type NotableSkipReason,
  type ScopeSpec,
  type StalledPath,
  type ToWorker,
  type WorkerData,
  type WorkItem,
} from './search-protocol.js';

/**
 * A batch runs at most this long before reporting what is left, so results and totals flow and
 * the pool can share work out; a worker reports sooner when another one is waiting for work.
 */
const SLICE_MS = 20;
/** Read in one go: most files are smaller, so a read plus an end-of-file read covers them. */
const FIRST_READ_BYTES = 256 * 1024;
/** A read buffer grown past this for one large file is let go afterwards. */
const KEPT_BUFFER_BYTES = 16 * 1024 * 1024;

interface Scope {
  readonly root: string;
  readonly base: string;
  readonly ignore: IgnoreMatcher;
}

interface FileFilter {
  readonly matcher: GlobMatcher;
  /** A pattern without `/` is matched against names; otherwise against paths from base. */
  readonly byName: boolean;
}

interface Job {
  readonly spec: JobSpec;
  readonly stop: Int32Array;
  readonly scopes: readonly Scope[];
  /** This worker's share of the first results: only hits that enter it are sent. */
  readonly kept: FirstInOrder<Ranked>;
  readonly lines: LineMatcher | undefined;
  readonly fileFilter: FileFilter | undefined;
  readonly glob: GlobMatcher | undefined;
  /** Files and folders that stalled a worker, as `${scope}:${path}`: skipped and counted. */
  readonly stalled: Set<string>;
}

const port = parentPort;
if (port === null) throw new Error('search.worker.js runs as a worker thread of the search pool');
const shared = workerData as WorkerData;
const heartbeat = new Heartbeat(shared.heartbeat);
const hungry = new Int32Array(shared.hungry);
const jobs = new Map<number, Job>();
let buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);

port.on('message', (message: ToWorker) => {
  if (message.type === 'job') jobs.set(message.jobId, createJob(message.spec, message.stop, message.stalled));
  else if (message.type === 'stalled') jobs.get(message.jobId)?.stalled.add(stalledKey(message.stalled));
  else if (message.type === 'end') jobs.delete(message.jobId);
  else runBatch(message.jobId, message.batchId, message.items);
});

function stalledKey({ scope, path }: StalledPath): string {
  return `${scope}:${path}`;
}

function createJob(spec: JobSpec, stop: SharedArrayBuffer, stalled: readonly StalledPath[]): Job {
  const scopes = spec.scopes.map((scope: ScopeSpec) => ({
    root: scope.root,
    base: scope.base,
    ignore: new IgnoreMatcher(scope.ignoreRules),
  }));
  const fileGlob = spec.kind === 'grep' ? spec.fileGlob : undefined;
  return {
    spec,
    stop: new Int32Array(stop),
    scopes,
    kept: new FirstInOrder(spec.limits.maxResults),
    lines: spec.kind === 'grep' ? createLineMatcher(spec.pattern) : undefined,
    fileFilter:
      fileGlob === undefined
        ? undefined
        : { matcher: compileGlob(fileGlob), byName: !globHasSeparator(fileGlob) },
    glob: spec.kind === 'glob' ? compileGlob(spec.pattern) : undefined,
    stalled: new Set(stalled.map(stalledKey)),
  };
}

function runBatch(jobId: number, batchId: number, items: readonly WorkItem[]): void {
  const job = jobs.get(jobId);
  const report: BatchReport = {
    type: 'report',
    jobId,
    batchId,
    more: [],
    grepHits: [],
    globHits: [],
    matches: 0,
    filesWithMatches: 0,
    filesScanned: 0,
    entries: 0,
    skipped: emptySkipCounts(),
    notable: [],
  };
  heartbeat.batch(batchId);
  try {
    if (job !== undefined) runLocally(job, items, report);
    send(report);
  } catch (error) {
    send({ type: 'failed', jobId, batchId, message: error instanceof Error ? error.message : String(error) });
  }
}

function send(message: FromWorker): void {
  (port as NonNullable<typeof port>).postMessage(message);
}

/**
 * Works through the batch and, depth first, through what it finds, and reports what is left once
 * it has something to report (a hit, a notable skip), the slice is over, or another worker is
 * waiting. Subfolders stay with the worker that found them unless shared, which keeps reports
 * (and wake-ups of the pool) few, while hits never wait behind a file that may stall the worker.
 */
function runLocally(job: Job, items: readonly WorkItem[], report: BatchReport): void {
  const started = performance.now();
  const pending = [...items].reverse();
  let done = 0;
  while (pending.length > 0) {
    if (Atomics.load(job.stop, 0) !== 0) return;
    if (
      done > 0 &&
      (report.grepHits.length > 0 ||
        report.globHits.length > 0 ||
        report.notable.length > 0 ||
        Atomics.load(hungry, 0) !== 0 ||
        performance.now() - started > SLICE_MS)
    ) {
      break;
    }
    const item = pending.pop() as WorkItem;
    report.more = [];
    runItem(job, item, report);
    for (let index = report.more.length - 1; index >= 0; index--)
      pending.push(report.more[index] as WorkItem);
    done++;
  }
  report.more = pending.reverse();
}

function runItem(job: Job, item: WorkItem, report: BatchReport): void {
  const scope = job.scopes[item.scope];
  if (scope === undefined) throw new Error(`work item names scope ${item.scope}, which the job has not`);
  const folderPath = joinPath(scope.root, item.dir);
  heartbeat.beat(item.scope, item.dir);
  if (job.stalled.size > 0 && job.stalled.has(stalledKey({ scope: item.scope, path: item.dir }))) {
    report.skipped.timedOut++;
    addNotable(report, folderPath, 'timed-out');
    return;
  }
  let folder: FolderHandle;
  try {
    folder = FolderHandle.open(folderPath);
  } catch (error) {
    skipUnreadable(report, folderPath, error);
    return;
  }
  try {
    const files = item.files ?? listFolder(job, scope, item, folder, report);
    if (job.spec.kind !== 'grep') return;
    let own = files;
    if (item.files === undefined && files.length > FILES_PER_ITEM) {
      own = files.slice(0, FILES_PER_ITEM);
      for (let start = FILES_PER_ITEM; start < files.length; start += FILES_PER_ITEM) {
        report.more.push({
          scope: item.scope,
          dir: item.dir,
          files: files.slice(start, start + FILES_PER_ITEM),
        });
      }
    }
    for (const name of own) {
      if (Atomics.load(job.stop, 0) !== 0) return;
      const relative = item.dir === '' ? name : `${item.dir}/${name}`;
      heartbeat.beat(item.scope, relative);
      if (job.stalled.size > 0 && job.stalled.has(stalledKey({ scope: item.scope, path: relative }))) {
        report.skipped.timedOut++;
        addNotable(report, joinPath(scope.root, relative), 'timed-out');
        continue;
      }
      searchFile(job, scope, folder, name, relative, report);
    }
  } finally {
    folder.close();
  }
}

type EntryKind = 'directory' | 'file' | 'symlink' | 'special' | 'gone';

function kindOf(folder: FolderHandle, entry: Dirent): EntryKind {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) {
    return 'special';
  }
  // The listing did not say (DT_UNKNOWN): ask without following links.
  try {
    const stats = folder.lstat(entry.name);
    if (stats.isFile()) return 'file';
    if (stats.isDirectory()) return 'directory';
    if (stats.isSymbolicLink()) return 'symlink';
    return 'special';
  } catch {
    return 'gone';
  }
}

/**
 * Reads a folder: queues its subfolders, records glob hits, and returns the files to search, in
 * name order. Ignored entries are counted, never entered or opened.
 */
function listFolder(
  job: Job,
  scope: Scope,
  item: WorkItem,
  folder: FolderHandle,
  report: BatchReport,
): string[] {
  let entries: Dirent[];
  try {
    entries = folder.entries();
  } catch (error) {
    skipUnreadable(report, joinPath(scope.root, item.dir), error);
    return [];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  report.entries += entries.length;
  const fromBase = relativeToBase(scope, item.dir);
  const filter = job.fileFilter;
  const pathMatcher = job.glob ?? (filter !== undefined && !filter.byName ? filter.matcher : undefined);
  const folderState: GlobState | undefined = pathMatcher?.walk(fromBase);
  const files: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    const relative = item.dir === '' ? name : `${item.dir}/${name}`;
    const kind = kindOf(folder, entry);
    if (kind === 'gone') continue;
    if (scope.ignore.ignores(relative, name, kind === 'directory')) {
      report.skipped.ignored++;
      continue;
    }
    const state =
      pathMatcher !== undefined && folderState !== undefined
        ? pathMatcher.step(folderState, name)
        : undefined;
    if (kind === 'directory') {
      if (pathMatcher === undefined || (state !== undefined && pathMatcher.live(state))) {
        report.more.push({ scope: item.scope, dir: relative });
      }
      continue;
    }
    if (job.glob !== undefined) {
      if ((kind === 'file' || kind === 'symlink') && state !== undefined && job.glob.accepts(state)) {
        report.matches++;
        const path = joinPath(scope.root, relative);
        if (job.kept.offer({ path, line: 0 })) report.globHits.push({ path, line: 0, kind });
      }
      continue;
    }
    if (filter !== undefined) {
      const selected = filter.byName
        ? filter.matcher.matchesName(name)
        : state !== undefined && filter.matcher.accepts(state);
      if (!selected) continue;
    }
    if (kind === 'symlink') report.skipped.symlinks++;
    else if (kind === 'special') report.skipped.special++;
    else files.push(name);
  }
  return files;
}

function relativeToBase(scope: Scope, dir: string): string {
  if (scope.base === '') return dir;
  return dir === scope.base ? '' : dir.slice(scope.base.length + 1);
}

function searchFile(
  job: Job,
  scope: Scope,
  folder: FolderHandle,
  name: string,
  relative: string,
  report: BatchReport,
): void {
  const path = joinPath(scope.root, relative);
  let fd: number;
  try {
    fd = folder.openFile(name);
  } catch (error) {
    // ELOOP: the file was replaced by a symlink after the listing; it is not followed.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') report.skipped.symlinks++;
    else if ((error as NodeJS.ErrnoException).code !== 'ENOENT') skipUnreadable(report, path, error);
    return;
  }
  try {
    const data = readText(fd, job.spec.limits.maxFileBytes);
    if (data === 'binary') {
      report.skipped.binary++;
      return;
    }
    if (typeof data === 'number') {
      report.skipped.tooLarge++;
      addNotable(report, path, 'too-large', data);
      return;
    }
    report.filesScanned++;
    const count = scanLines(
      data,
      job.lines as LineMatcher,
      sinkFor(job, path, report),
      job.spec.limits.maxLineChars,
    );
    if (count > 0) {
      report.filesWithMatches++;
      report.matches += count;
    }
  } catch (error) {
    skipUnreadable(report, path, error);
  } finally {
    closeSync(fd);
    if (buffer.length > KEPT_BUFFER_BYTES) buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);
  }
}

/**
 * The file's bytes; 'binary' when a NUL in its first 8 KiB says so; its size when over the limit.
 * The listing said this is a regular file, so no fstat is spent on the usual small file: one read,
 * then a read that returns 0 at its end. (Were it swapped for a FIFO meanwhile, the non-blocking
 * open makes reads end at once; a folder fails with EISDIR.)
 */
function readText(fd: number, maxBytes: number): Buffer | 'binary' | number {
  let length = 0;
  let probed = false;
  for (;;) {
    if (length === buffer.length) {
      const size = fstatSync(fd).size;
      if (size > maxBytes) return size;
      const larger = Buffer.allocUnsafe(Math.min(Math.max(size + 1, buffer.length * 2), maxBytes + 1));
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    const read = readSync(fd, buffer, length, buffer.length - length, length);
    length += read;
    if (!probed && (length >= BINARY_PROBE_BYTES || read === 0)) {
      probed = true;
      if (buffer.subarray(0, Math.min(length, BINARY_PROBE_BYTES)).indexOf(0) !== -1) return 'binary';
    }
    if (length > maxBytes) return fstatSync(fd).size;
    if (read === 0) return buffer.subarray(0, length);
  }
}

function sinkFor(job: Job, path: string, report: BatchReport): LineSink | undefined {
  if (!job.kept.admitsPath(path)) return undefined;
  return {
    wants: (line) => job.kept.admits(path, line),
    take: (hit) => {
      const record: GrepHitRecord = { path, ...hit };
      job.kept.offer(record);
      report.grepHits.push(record);
    },
  };
}

function skipUnreadable(report: BatchReport, path: string, error: unknown): void {
  report.skipped.unreadable++;
  const changed = error instanceof FolderChangedError || (error as NodeJS.ErrnoException).code === 'ELOOP';
  addNotable(report, path, changed ? 'changed' : 'unreadable');
}

function addNotable(report: BatchReport, path: string, reason: NotableSkipReason, bytes?: number): void {
  report.notable.push(bytes === undefined ? { path, line: 0, reason } : { path, line: 0, reason, bytes });
}
