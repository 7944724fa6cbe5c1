import { StewardError } from '@steward/contracts';
import type { RetryNotice } from './model-types.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** The longest `retry-after` honoured; a server asking for more is waited for this long. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
});

/** What a failed model call means for the next attempt. */
export interface FailureVerdict {
  readonly retryable: boolean;
  readonly reason: string;
  /** The server's own `retry-after`, when it gave one. */
  readonly retryAfterMs?: number | undefined;
}

/**
 * Runs one model call, again on failures the verdict calls retryable (rate limits, overload, 5xx,
 * broken streams), with exponential backoff and full jitter, or the server's `retry-after`. The
 * call is always a whole model turn: nothing a turn asked for has run yet, so repeating it never
 * repeats a tool.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  judge: (error: unknown) => FailureVerdict,
  options: {
    readonly policy: RetryPolicy;
    readonly signal: AbortSignal;
    readonly onRetry?: ((notice: RetryNotice) => void) | undefined;
    readonly random?: () => number;
  },
): Promise<T> {
  const random = options.random ?? Math.random;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal.aborted) throw cancelled();
      const verdict = judge(error);
      if (!verdict.retryable) throw error;
      if (n >= options.policy.attempts) {
        throw new StewardError(
          'UNAVAILABLE',
          `the model API kept failing (${verdict.reason}); gave up after ${n} attempts`,
          { cause: error },
        );
      }
      const backoff = Math.min(options.policy.maxDelayMs, options.policy.baseDelayMs * 2 ** (n - 1));
      const delayMs =
        verdict.retryAfterMs !== undefined
          ? Math.min(options.policy.maxRetryAfterMs, verdict.retryAfterMs)
          : Math.round(random() * backoff);
      options.onRetry?.({ attempt: n + 1, delayMs, reason: verdict.reason });
      await sleep(delayMs, options.signal);
    }
  }
}

function cancelled(): StewardError {
  return new StewardError('CANCELLED', 'the task was cancelled while the model was answering');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelled());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers?.get('retry-after');
  if (raw === null || raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
