import {
  FINAL_TASK_STATUSES,
  taskEventSchema,
  type TaskEvent,
  type TaskStatus,
  type TaskView,
} from '@steward/contracts';
import { CliError, EXIT } from '../cli/cli-error.js';
import { SseParser } from './sse-parser.js';
import type { TaskApi } from './task-client.js';

export type ConnectionChange = 'lost' | 'reconnected' | 'polling';

export interface FollowHandlers {
  /** Each event of the task once, in order, as the stream delivers it. */
  onEvent(event: TaskEvent): void;
  /** The whole task, when the stream is unavailable and the task is polled instead. */
  onSnapshot(view: TaskView): void;
  onConnection?(change: ConnectionChange, detail: string): void;
}

export interface FollowOptions {
  readonly signal: AbortSignal;
  /** Waits before each reconnect attempt; once they are used up, the task is polled. */
  readonly backoffMs?: readonly number[];
  readonly pollIntervalMs?: number;
  /** No byte (not even the ui's keepalive comment) for this long: the stream is taken as dead. */
  readonly idleTimeoutMs?: number;
  /** While polling, how often the stream is tried again. */
  readonly streamRetryMs?: number;
  /** How long polling may fail in a row before the person is told contact is lost. */
  readonly giveUpAfterMs?: number;
}

const DEFAULTS = {
  backoffMs: [250, 1_000, 2_000, 4_000],
  pollIntervalMs: 1_000,
  // The ui sends a keepalive comment every 15 s.
  idleTimeoutMs: 45_000,
  streamRetryMs: 15_000,
  giveUpAfterMs: 120_000,
} as const;

/** A stream that lasted this long counts as a working connection, so the attempts start over. */
const HEALTHY_STREAM_MS = 5_000;

/** Lost the ui for longer than we wait: the task may go on, but we can no longer follow it. */
export class LostContactError extends CliError {
  override readonly name = 'LostContactError';

  constructor(message: string) {
    super(message, EXIT.notRunning);
  }
}

const isFinal = (status: unknown): status is TaskStatus =>
  typeof status === 'string' && (FINAL_TASK_STATUSES as readonly string[]).includes(status);

/** Stream sequences are decimal; an event at or before the last one seen is a replay. */
function seen(id: string | undefined, last: string | undefined): boolean {
  if (id === undefined || last === undefined) return false;
  if (!/^\d+$/.test(id) || !/^\d+$/.test(last)) return false;
  return BigInt(id) <= BigInt(last);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type StreamEnd =
  | { readonly kind: 'final'; readonly status: TaskStatus }
  | { readonly kind: 'dropped'; readonly healthy: boolean; readonly reason: string };

/**
 * Follows one task until it ends: its SSE stream first; when the stream drops (the ui restarted),
 * reconnects with `Last-Event-ID` so nothing is lost or repeated, a few times with growing waits;
 * then polls `GET /api/tasks/:id`, trying the stream again now and then. Resolves with the final
 * status; rejects with LostContactError when the ui stays away, or when `signal` aborts.
 */
export async function followTask(
  api: TaskApi,
  taskId: string,
  handlers: FollowHandlers,
  options: FollowOptions,
): Promise<TaskStatus> {
  const backoff = options.backoffMs ?? DEFAULTS.backoffMs;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  const streamRetryMs = options.streamRetryMs ?? DEFAULTS.streamRetryMs;
  const giveUpAfterMs = options.giveUpAfterMs ?? DEFAULTS.giveUpAfterMs;
  const { signal } = options;
  let lastId: string | undefined;
  let failures = 0;
  let lost = false;
  let announcedPolling = false;

  const stream = async (): Promise<StreamEnd> => {
    const started = Date.now();
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const watch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), idleTimeoutMs);
    };
    let delivered = false;
    try {
      const chunks = await api.events(taskId, lastId, controller.signal);
      if (lost) {
        lost = false;
        announcedPolling = false;
        handlers.onConnection?.('reconnected', 'the task event stream is back');
      }
      const parser = new SseParser(lastId);
      watch();
      for await (const chunk of chunks) {
        watch();
        for (const message of parser.push(chunk)) {
          if (seen(message.id, lastId)) continue;
          if (message.id !== undefined) lastId = message.id;
          const parsed = taskEventSchema.safeParse(parseJson(message.data));
          if (!parsed.success || parsed.data.taskId !== taskId) continue;
          delivered = true;
          handlers.onEvent(parsed.data);
          const status = parsed.data.kind === 'status' ? parsed.data.data['status'] : undefined;
          if (isFinal(status)) return { kind: 'final', status };
        }
      }
      return {
        kind: 'dropped',
        healthy: delivered || Date.now() - started >= HEALTHY_STREAM_MS,
        reason: 'the stream ended',
      };
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = controller.signal.aborted
        ? `no data for ${Math.round(idleTimeoutMs / 1000)} s`
        : describe(error);
      return { kind: 'dropped', healthy: delivered || Date.now() - started >= HEALTHY_STREAM_MS, reason };
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', stop);
      controller.abort();
    }
  };

  let polling = false;
  let lastPollOk = Date.now();
  let lastStreamTry = 0;
  for (;;) {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    if (!polling) {
      lastStreamTry = Date.now();
      const end = await stream();
      if (end.kind === 'final') return end.status;
      failures = end.healthy ? 1 : failures + 1;
      if (!lost) {
        lost = true;
        handlers.onConnection?.('lost', `lost the task event stream (${end.reason}); reconnecting`);
      }
      const wait = backoff[failures - 1];
      if (wait !== undefined) {
        await sleep(wait, signal);
        continue;
      }
      polling = true;
      lastPollOk = Date.now();
      if (!announcedPolling) {
        announcedPolling = true;
        handlers.onConnection?.(
          'polling',
          `the task event stream does not come back (${end.reason}); checking the task every ${pollIntervalMs / 1000} s instead`,
        );
      }
    }
    try {
      const view = await api.get(taskId);
      lastPollOk = Date.now();
      handlers.onSnapshot(view);
      if (isFinal(view.status)) return view.status;
      if (Date.now() - lastStreamTry >= streamRetryMs) {
        // One more failure falls straight back to polling.
        polling = false;
        failures = backoff.length;
        continue;
      }
    } catch (error) {
      if (signal.aborted) throw error;
      if (Date.now() - lastPollOk >= giveUpAfterMs) {
        throw new LostContactError(
          `lost contact with Steward for ${Math.round(giveUpAfterMs / 1000)} s (${describe(error)}); task ${taskId} may still be running — see "steward status" and the page`,
        );
      }
    }
    await sleep(pollIntervalMs, signal);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
