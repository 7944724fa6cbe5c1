import { errors } from '@nats-io/transport-node';
import { errorEnvelopeSchema, StewardError, type ErrorBody } from '@steward/contracts';
import { randomUUID } from 'node:crypto';

/** Turns what the NATS client throws into the typed error callers handle. */
export function fromNatsError(error: unknown, subject: string): StewardError {
  if (error instanceof StewardError) return error;
  const cause = error instanceof errors.RequestError && error.cause ? error.cause : error;
  if (
    cause instanceof errors.NoRespondersError ||
    (error instanceof errors.RequestError && error.isNoResponders())
  ) {
    return new StewardError('UNAVAILABLE', `nothing serves ${subject} right now`, { cause: error });
  }
  if (cause instanceof errors.TimeoutError) {
    return new StewardError('TIMEOUT', `no reply to ${subject} in time`, { cause: error });
  }
  if (cause instanceof errors.PermissionViolationError) {
    return new StewardError('FORBIDDEN', `the bus refused ${cause.operation} on ${cause.subject}`, {
      cause: error,
    });
  }
  if (
    cause instanceof errors.ClosedConnectionError ||
    cause instanceof errors.DrainingConnectionError ||
    cause instanceof errors.ConnectionError
  ) {
    return new StewardError('UNAVAILABLE', `the bus connection is not open (${subject})`, { cause: error });
  }
  return new StewardError('INTERNAL', `request to ${subject} failed: ${describe(error)}`, { cause: error });
}

/**
 * An error a handler did not expect becomes INTERNAL with an id that is logged next to the
 * real cause, so the caller can quote it without seeing internals.
 */
export function internalErrorBody(traceId: string | undefined): { body: ErrorBody; incidentId: string } {
  const incidentId = randomUUID().slice(0, 8);
  const body: ErrorBody = {
    code: 'INTERNAL',
    message: `internal error (incident ${incidentId})`,
    retryable: false,
  };
  if (traceId) body.traceId = traceId;
  return { body, incidentId };
}

export function parseErrorEnvelope(value: unknown): ErrorBody | undefined {
  const parsed = errorEnvelopeSchema.safeParse(value);
  return parsed.success ? parsed.data.error : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
