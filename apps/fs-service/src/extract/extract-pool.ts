import { Worker, type ResourceLimits } from 'node:worker_threads';
import type {
  ExtractableKind,
  Extraction,
  ExtractRequest,
  FromWorker,
  RefusalCode,
} from './extract-protocol.js';

/** Why a job has no extraction. */
export type JobFailure =
  | { readonly kind: 'refused'; readonly code: RefusalCode; readonly reason: string }
  /** The job ran past its time; its worker was terminated. */
  | { readonly kind: 'timeout' }
  | { readonly kind: 'cancelled' }
  /** The worker hit its heap limit on this file and died. */
  | { readonly kind: 'out-of-memory' }
  /** The worker died on this file some other way (an error the parser did not catch). */
  | { readonly kind: 'crashed'; readonly reason: string }
  /** The worker never started: an installation problem, not the file's. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'closed' };

export type JobOutcome =
  | { readonly ok: true; readonly extraction: Extraction }
  | { readonly ok: false; readonly failure: JobFailure };

export interface JobInput {
  readonly kind: ExtractableKind;
  /** Handed over: its buffer is moved to the worker when it spans the whole buffer. */
  readonly bytes: Uint8Array;
  readonly maxChars: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

interface Job {
  readonly request: ExtractRequest;
  readonly settle: (outcome: JobOutcome) => void;
  slot: Slot | undefined;
}

/**
 * The bytes in a buffer of their own, which can be moved to a worker: the caller's buffer when
 * the view spans all of it (no copy of a large file), else a copy of just the view (structured
 * clone would copy the whole underlying buffer, which may be far larger, or shared).
 */
function movable(bytes: Uint8Array): Uint8Array {
  const { buffer, byteOffset, byteLength } = bytes;
  const whole = buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength;
  return whole ? bytes : new Uint8Array(bytes);
}

interface Slot {
  readonly thread: Worker;
  /** The worker's own code loaded (it said so). */
  ready: boolean;
  alive: boolean;
  job: Job | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Idle workers are ended after this long; the next job starts one again. */
const IDLE_MS = 30_000;

/**
 * Worker threads that turn office files and PDFs into text, one job per worker at a time, jobs
 * waiting in order for a free worker. A job's time counts from when it was asked for, queue
 * included. A worker that runs out of time, is cancelled, dies on a file or hits its heap limit
 * is terminated and forgotten; the next job gets a fresh one.
 */
export class ExtractorPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;

  constructor(
    private readonly size: number,
    private readonly workerUrl: URL,
    private readonly resourceLimits: ResourceLimits,
  ) {}

  run(input: JobInput): Promise<JobOutcome> {
    if (input.signal?.aborted === true) {
      return Promise.resolve({ ok: false, failure: { kind: 'cancelled' } });
    }
    return new Promise<JobOutcome>((resolve) => {
      const { signal } = input;
      const onAbort = () => this.fail(job, { kind: 'cancelled' });
      const timer = setTimeout(() => this.fail(job, { kind: 'timeout' }), input.timeoutMs);
      const job: Job = {
        request: {
          type: 'extract',
          id: this.nextId++,
          kind: input.kind,
          bytes: movable(input.bytes),
          maxChars: input.maxChars,
        },
        settle: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
        slot: undefined,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Ends every worker and fails every job; a later job starts new workers. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.settle({ ok: false, failure: { kind: 'closed' } });
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.alive = false;
      if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
      slot.job?.settle({ ok: false, failure: { kind: 'closed' } });
      slot.job = undefined;
    }
    await Promise.all(slots.map((slot) => slot.thread.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot =
        this.slots.find((candidate) => candidate.alive && candidate.job === undefined) ??
        (this.slots.length < this.size ? this.spawn() : undefined);
      if (slot === undefined) return;
      const job = this.queue.shift() as Job;
      if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      slot.job = job;
      job.slot = slot;
      slot.thread.postMessage(job.request, [job.request.bytes.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Slot {
    const thread = new Worker(this.workerUrl, {
      name: 'fs-extract',
      resourceLimits: this.resourceLimits,
      // Parsers log warnings about what they meet in a file, and a hostile file can make them
      // log without end: the worker's output is read and dropped, never written to ours.
      stdout: true,
      stderr: true,
    });
    thread.stdout.resume();
    thread.stderr.resume();
    // Idle workers must not keep the process alive; a running job holds it through its timer.
    thread.unref();
    const slot: Slot = { thread, ready: false, alive: true, job: undefined, idleTimer: undefined };
    thread.on('message', (message: FromWorker) => this.onMessage(slot, message));
    thread.on('error', (error: Error & { code?: string }) => this.onDeath(slot, error));
    thread.on('exit', (code) => this.onDeath(slot, new Error(`the worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    if (!slot.alive) return;
    if (message.type === 'ready') {
      slot.ready = true;
      return;
    }
    const job = slot.job;
    if (job === undefined || job.request.id !== message.id) return;
    slot.job = undefined;
    job.slot = undefined;
    if (message.type === 'done') {
      const { text, truncated, parts, warnings } = message;
      job.settle({ ok: true, extraction: { text, truncated, parts, warnings } });
    } else {
      job.settle({
        ok: false,
        failure: { kind: 'refused', code: message.code, reason: message.reason },
      });
    }
    this.pump();
    if (slot.job === undefined) this.rest(slot);
  }

  private onDeath(slot: Slot, error: Error & { code?: string }): void {
    if (!slot.alive) return;
    const job = slot.job;
    this.discard(slot);
    if (job !== undefined) {
      job.slot = undefined;
      job.settle({
        ok: false,
        failure:
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? { kind: 'out-of-memory' }
            : slot.ready
              ? { kind: 'crashed', reason: error.message }
              : { kind: 'unavailable', reason: error.message },
      });
    }
    this.pump();
  }

  /** Ends a job early: out of the queue, or its worker terminated mid-file. */
  private fail(job: Job, failure: JobFailure): void {
    const queued = this.queue.indexOf(job);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
    } else if (job.slot !== undefined && job.slot.job === job) {
      this.discard(job.slot);
      job.slot = undefined;
    } else {
      return;
    }
    job.settle({ ok: false, failure });
    this.pump();
  }

  private discard(slot: Slot): void {
    slot.alive = false;
    slot.job = undefined;
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
    void slot.thread.terminate();
  }

  private rest(slot: Slot): void {
    slot.idleTimer = setTimeout(() => {
      if (slot.alive && slot.job === undefined) this.discard(slot);
    }, IDLE_MS);
    slot.idleTimer.unref();
  }
}
