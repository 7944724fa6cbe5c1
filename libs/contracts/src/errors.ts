import { z } from 'zod';

export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'OUTSIDE_ROOT',
  'DENIED_BY_POLICY',
  'NEEDS_APPROVAL',
  'EXISTS',
  'TOO_LARGE',
  'NOT_TEXT',
  'AMBIGUOUS_EDIT',
  /** The request does not fit the thing's current state (an approval already answered, a task already over). */
  'CONFLICT',
  'TIMEOUT',
  'UNAVAILABLE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CANCELLED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorBodySchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  retryable: z.boolean(),
  details: z.unknown().optional(),
  traceId: z.string().optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** What crosses the bus and the HTTP API when a request fails. */
export const errorEnvelopeSchema = z.object({ error: errorBodySchema });
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['TIMEOUT', 'UNAVAILABLE']);

/** The one error type code throws when it means a specific, typed failure. */
export class StewardError extends Error {
  override readonly name = 'StewardError';
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { retryable?: boolean; details?: unknown; cause?: unknown; traceId?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details;
    this.traceId = options.traceId;
  }

  readonly details: unknown;
  readonly traceId: string | undefined;

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) body.details = this.details;
    if (this.traceId !== undefined) body.traceId = this.traceId;
    return body;
  }

  static fromBody(body: ErrorBody): StewardError {
    return new StewardError(body.code, body.message, {
      retryable: body.retryable,
      details: body.details,
      ...(body.traceId === undefined ? {} : { traceId: body.traceId }),
    });
  }
}

export function isStewardError(value: unknown): value is StewardError {
  return value instanceof StewardError;
}

/** HTTP status for each code, used by `ui` when an error crosses from the bus to a browser. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  OUTSIDE_ROOT: 403,
  DENIED_BY_POLICY: 403,
  NEEDS_APPROVAL: 409,
  EXISTS: 409,
  TOO_LARGE: 413,
  NOT_TEXT: 415,
  AMBIGUOUS_EDIT: 409,
  CONFLICT: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CANCELLED: 499,
  INTERNAL: 500,
};
