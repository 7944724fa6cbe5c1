import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StewardError } from '@steward/contracts';
import { FirstInOrder, type Ranked } from './path-order.js';
import {
  addSkipCounts,
  emptySkipCounts,
  Heartbeat,
  HEARTBEAT_BYTES,
  type BatchReport,
  type FromWorker,
  type JobSpec,
  type NotableSkip,
  type SkipCounts,
  type StalledPath,
  type ToWorker,
  type WorkerData,
  type WorkItem,
} from './search-protocol.js';

/** Why a result holds less than everything: `result-limit` keeps exact totals, `time-limit` not. */
export type TruncationReason = 'result-limit' | 'time-limit';

export interface JobOutcome<Hit extends Ranked> {
  /** The first `maxResults` hits in result order. */
  readonly hits: Hit[];
  readonly matches: number;
  readonly filesWithMatches: number;
  readonly filesScanned: number;
  readonly entries: number;
  readonly skipped: SkipCounts;
  readonly notable: NotableSkip[];
  readonly truncated: boolean;
  readonly reason?: TruncationReason;
}

/** Notable skips kept per search (the first in path order). */
export const NOTABLE_LIMIT = 20;
/**
 * Batches a worker holds at once. One: a worker works through what it finds itself and reports
 * every few milliseconds, so a second batch would only sit where idle workers cannot take it.
 */
const BATCHES_PER_WORKER = 1;
const MAX_ITEMS_PER_BATCH = 16;
/** Idle workers are ended after this long; the next search starts them again (~30 ms). */
const IDLE_MS = 30_000;
const MAX_WORKERS = 4;
/** A worker still busy with a job that has ended is replaced after this long without progress. */
const ENDED_JOB_GRACE_MS = 250;

interface Batch {
  readonly id: number;
  readonly jobId: number;
  readonly items: readonly WorkItem[];
  readonly fileTimeMs: number;
}

interface PoolWorker {
  readonly thread: Worker;
  readonly heartbeat: Heartbeat;
  /** Sent and not yet reported, in the order the worker runs them. */
  readonly outstanding: Batch[];
  readonly knownJobs: Set<number>;
  lastProgress: number;
  lastProgressAt: number;
  alive: boolean;
}

interface ActiveJob {
  readonly id: number;
  readonly spec: JobSpec;
  readonly stop: SharedArrayBuffer;
  /** Pending work, used as a stack: the next item is the last one. */
  readonly queue: WorkItem[];
  readonly hits: FirstInOrder<Ranked>;
  readonly notable: FirstInOrder<NotableSkip>;
  readonly skipped: SkipCounts;
  readonly stalled: StalledPath[];
  readonly pick: (report: BatchReport) => readonly Ranked[];
  readonly settle: (outcome: JobOutcome<Ranked>) => void;
  readonly reject: (error: StewardError) => void;
  readonly cleanup: () => void;
  inFlight: number;
  matches: number;
  filesWithMatches: number;
  filesScanned: number;
  entries: number;
}

/**
 * Worker threads shared by every search of the process. Each search is a job: a stack of work
 * items (folders, or shares of a large folder) that the pool hands out in batches to whichever
 * worker is free, so searches running at the same time share the workers. A worker works through
 * its batch and what it finds there, and hands back what is left when it has hits to report,
 * every few milliseconds, or as soon as another worker waits for work, so a large tree keeps every
 * worker busy with few messages. The pool keeps the first results in order, the totals, and the
 * time limits:
 *
 * - the job's time budget ends it with what was reported so far;
 * - a worker that spends longer than `fileTimeMs` on one file is terminated (the only way to stop
 *   a running RegExp) and replaced; its batches are redone, skipping the file, counted timed out;
 * - an abort ends the job at once and tells workers to drop its remaining work.
 */
export class SearchPool {
  private readonly workers: PoolWorker[] = [];
  private readonly jobs = new Map<number, ActiveJob>();
  /** Slot 0 is 1 while a worker waits for work: busy workers then hand back what they hold. */
  private readonly hungry = new Int32Array(new SharedArrayBuffer(4));
  private nextJobId = 1;
  private nextBatchId = 1;
  private rotation = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly size: number,
    private readonly workerUrl: URL,
  ) {}

  run<Hit extends Ranked>(
    spec: JobSpec,
    items: readonly WorkItem[],
    pick: (report: BatchReport) => readonly Hit[],
    signal: AbortSignal | undefined,
  ): Promise<JobOutcome<Hit>> {
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    return new Promise<JobOutcome<Hit>>((resolve, reject) => {
      const id = this.nextJobId++;
      const onAbort = () => this.fail(id, cancelled(signal));
      const budget = setTimeout(() => this.finish(id, 'time-limit'), spec.limits.timeBudgetMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.jobs.set(id, {
        id,
        spec,
        stop: new SharedArrayBuffer(4),
        queue: [...items].reverse(),
        hits: new FirstInOrder(spec.limits.maxResults),
        notable: new FirstInOrder(NOTABLE_LIMIT),
        skipped: emptySkipCounts(),
        stalled: [],
        pick,
        settle: resolve as (outcome: JobOutcome<Ranked>) => void,
        reject,
        cleanup: () => {
          clearTimeout(budget);
          signal?.removeEventListener('abort', onAbort);
        },
        inFlight: 0,
        matches: 0,
        filesWithMatches: 0,
        filesScanned: 0,
        entries: 0,
      });
      if (items.length > 0) this.wake();
      this.pump();
      this.settleIfDone(id);
    });
  }

  /** Ends every worker; a later search starts new ones. */
  async close(): Promise<void> {
    for (const id of [...this.jobs.keys()]) {
      this.fail(id, new StewardError('UNAVAILABLE', 'the search service is shutting down'));
    }
    this.stopTimers();
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((worker) => this.retire(worker)));
  }

  private wake(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    while (this.workers.length < this.size) this.workers.push(this.spawn());
    if (this.watchdog === undefined) {
      this.watchdog = setInterval(() => this.checkStalls(), 100);
      this.watchdog.unref();
    }
  }

  private spawn(): PoolWorker {
    const heartbeatBuffer = new SharedArrayBuffer(HEARTBEAT_BYTES);
    const workerData: WorkerData = {
      heartbeat: heartbeatBuffer,
      hungry: this.hungry.buffer as SharedArrayBuffer,
    };
    const thread = new Worker(this.workerUrl, {
      name: 'fs-search',
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    // Idle workers must not keep the process alive; a running job holds it through its timer.
    thread.unref();
    const worker: PoolWorker = {
      thread,
      heartbeat: new Heartbeat(heartbeatBuffer),
      outstanding: [],
      knownJobs: new Set(),
      lastProgress: 0,
      lastProgressAt: Date.now(),
      alive: true,
    };
    thread.on('message', (message: FromWorker) => this.onReport(worker, message));
    thread.on('error', (error) => this.onCrash(worker, error));
    thread.on('exit', (code) => this.onCrash(worker, new Error(`search worker exited with code ${code}`)));
    return worker;
  }

  private pump(): void {
    this.dispatch();
    const waiting = this.workers.some((worker) => worker.alive && worker.outstanding.length === 0);
    Atomics.store(this.hungry, 0, waiting && this.jobs.size > 0 ? 1 : 0);
  }

  private dispatch(): void {
    for (let sent = true; sent;) {
      sent = false;
      for (const worker of this.workers) {
        if (!worker.alive || worker.outstanding.length >= BATCHES_PER_WORKER) continue;
        const job = this.nextJobWithWork();
        if (job === undefined) return;
        const count = Math.max(
          1,
          Math.min(MAX_ITEMS_PER_BATCH, Math.floor(job.queue.length / (this.workers.length * 2))),
        );
        const items = job.queue.splice(job.queue.length - count, count).reverse();
        const batch: Batch = {
          id: this.nextBatchId++,
          jobId: job.id,
          items,
          fileTimeMs: job.spec.limits.fileTimeMs,
        };
        if (!worker.knownJobs.has(job.id)) {
          worker.knownJobs.add(job.id);
          this.post(worker, {
            type: 'job',
            jobId: job.id,
            spec: job.spec,
            stop: job.stop,
            stalled: job.stalled,
          });
        }
        if (worker.outstanding.length === 0) worker.lastProgressAt = Date.now();
        worker.outstanding.push(batch);
        job.inFlight++;
        this.post(worker, { type: 'batch', jobId: job.id, batchId: batch.id, items });
        sent = true;
      }
    }
  }

  private nextJobWithWork(): ActiveJob | undefined {
    const jobs = [...this.jobs.values()];
    for (let turn = 0; turn < jobs.length; turn++) {
      const job = jobs[(this.rotation + turn) % jobs.length];
      if (job !== undefined && job.queue.length > 0) {
        this.rotation = (this.rotation + turn + 1) % jobs.length;
        return job;
      }
    }
    return undefined;
  }

  private post(worker: PoolWorker, message: ToWorker): void {
    worker.thread.postMessage(message);
  }

  private onReport(worker: PoolWorker, message: FromWorker): void {
    if (!worker.alive) return;
    const index = worker.outstanding.findIndex((batch) => batch.id === message.batchId);
    if (index !== -1) worker.outstanding.splice(index, 1);
    worker.lastProgressAt = Date.now();
    const job = this.jobs.get(message.jobId);
    if (job !== undefined) {
      job.inFlight--;
      if (message.type === 'failed') {
        this.fail(job.id, new StewardError('INTERNAL', `search worker failed: ${message.message}`));
      } else {
        this.merge(job, message);
        this.settleIfDone(job.id);
      }
    }
    this.pump();
  }

  private merge(job: ActiveJob, report: BatchReport): void {
    for (let index = report.more.length - 1; index >= 0; index--)
      job.queue.push(report.more[index] as WorkItem);
    for (const hit of job.pick(report)) job.hits.offer(hit);
    for (const skip of report.notable) job.notable.offer(skip);
    addSkipCounts(job.skipped, report.skipped);
    job.matches += report.matches;
    job.filesWithMatches += report.filesWithMatches;
    job.filesScanned += report.filesScanned;
    job.entries += report.entries;
  }

  private settleIfDone(id: number): void {
    const job = this.jobs.get(id);
    if (job !== undefined && job.inFlight === 0 && job.queue.length === 0) this.finish(id, undefined);
  }

  private finish(id: number, reason: TruncationReason | undefined): void {
    const job = this.end(id);
    if (job === undefined) return;
    const hits = job.hits.sorted();
    const why = reason ?? (job.matches > hits.length ? 'result-limit' : undefined);
    job.settle({
      hits,
      matches: job.matches,
      filesWithMatches: job.filesWithMatches,
      filesScanned: job.filesScanned,
      entries: job.entries,
      skipped: job.skipped,
      notable: job.notable.sorted(),
      truncated: why !== undefined,
      ...(why === undefined ? {} : { reason: why }),
    });
  }

  private fail(id: number, error: StewardError): void {
    this.end(id)?.reject(error);
  }

  /** Takes a job out of the pool and tells workers to drop whatever of it they still hold. */
  private end(id: number): ActiveJob | undefined {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    this.jobs.delete(id);
    job.cleanup();
    Atomics.store(new Int32Array(job.stop), 0, 1);
    for (const worker of this.workers) {
      if (worker.alive && worker.knownJobs.delete(id)) this.post(worker, { type: 'end', jobId: id });
    }
    if (this.jobs.size === 0) {
      Atomics.store(this.hungry, 0, 0);
      this.rest();
    }
    return job;
  }

  private rest(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.jobs.size > 0) return;
      for (const worker of this.workers.splice(0)) void this.retire(worker);
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private stopTimers(): void {
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private checkStalls(): void {
    const now = Date.now();
    for (const worker of [...this.workers]) {
      if (!worker.alive || worker.outstanding.length === 0) continue;
      const progress = worker.heartbeat.progress;
      if (progress !== worker.lastProgress) {
        worker.lastProgress = progress;
        worker.lastProgressAt = now;
        continue;
      }
      const current = worker.heartbeat.currentBatch;
      const batch = worker.outstanding.find((candidate) => candidate.id === current) ?? worker.outstanding[0];
      if (batch === undefined) continue;
      const limit = this.jobs.has(batch.jobId) ? batch.fileTimeMs : ENDED_JOB_GRACE_MS;
      if (now - worker.lastProgressAt > limit) this.replaceStalled(worker);
    }
    if (this.jobs.size === 0 && this.workers.every((worker) => worker.outstanding.length === 0)) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  /**
   * Terminates a worker stuck on one file (or folder listing) and gives its batches back to
   * their jobs whole: what it had done was never reported, so nothing is counted twice. The
   * stuck path is first made known to every worker of that job, so whoever redoes the batch
   * skips it and counts it as timed out.
   */
  private replaceStalled(worker: PoolWorker): void {
    const current = worker.heartbeat.currentBatch;
    const stuck = worker.heartbeat.current();
    this.discard(worker);
    for (const batch of worker.outstanding) {
      const job = this.jobs.get(batch.jobId);
      if (job === undefined) continue;
      job.inFlight--;
      if (batch.id === current) {
        job.stalled.push(stuck);
        for (const other of this.workers) {
          if (other.alive && other.knownJobs.has(job.id)) {
            this.post(other, { type: 'stalled', jobId: job.id, stalled: stuck });
          }
        }
      }
      for (let index = batch.items.length - 1; index >= 0; index--)
        job.queue.push(batch.items[index] as WorkItem);
    }
    worker.outstanding.length = 0;
    if (this.jobs.size > 0) this.workers.push(this.spawn());
    this.pump();
  }

  /** A worker that died on its own: the jobs it was serving cannot be trusted to be complete. */
  private onCrash(worker: PoolWorker, error: Error): void {
    if (!worker.alive) return;
    this.discard(worker);
    for (const batch of worker.outstanding) {
      this.fail(
        batch.jobId,
        new StewardError('INTERNAL', `search worker failed: ${error.message}`, { cause: error }),
      );
    }
    worker.outstanding.length = 0;
    if (this.jobs.size > 0) {
      this.workers.push(this.spawn());
      this.pump();
    }
  }

  private discard(worker: PoolWorker): void {
    worker.alive = false;
    const index = this.workers.indexOf(worker);
    if (index !== -1) this.workers.splice(index, 1);
    void worker.thread.terminate();
  }

  private async retire(worker: PoolWorker): Promise<void> {
    worker.alive = false;
    await worker.thread.terminate();
  }
}

function cancelled(signal: AbortSignal | undefined): StewardError {
  return new StewardError('CANCELLED', 'the search was cancelled', { cause: signal?.reason });
}

let shared: SearchPool | undefined;

/** The process's pool: as many workers as cores, at least 2 (one may be stuck on a file), at most 4. */
export function searchPool(): SearchPool {
  shared ??= new SearchPool(
    Math.min(MAX_WORKERS, Math.max(2, availableParallelism())),
    new URL('./search.worker.js', import.meta.url),
  );
  return shared;
}

/** Ends the shared pool's workers (service shutdown, tests); a later search starts new ones. */
export async function closeSearchPool(): Promise<void> {
  await shared?.close();
}
