import type { ErrorBody } from '@steward/contracts';

/** A refused or failed API call, with the server's error envelope when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorBody['code'] | 'NETWORK',
    message: string,
    /** The envelope's `details`, for views that show per-field reasons. */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Calls the page's own API with the session cookie. The server refuses state-changing calls from
 * other origins, so every call is same-origin; answers are JSON, errors the `{ error }` envelope.
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Steward is not reachable; is it still running?');
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = envelope(body);
    throw new ApiError(
      res.status,
      error?.code ?? 'INTERNAL',
      error?.message ?? `failed (${res.status})`,
      error?.details,
    );
  }
  return body as T;
}

function envelope(body: unknown): ErrorBody | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = body.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return { code: code as ErrorBody['code'], message, retryable: false, details };
}

export const isUnauthorized = (error: unknown): boolean => error instanceof ApiError && error.status === 401;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
