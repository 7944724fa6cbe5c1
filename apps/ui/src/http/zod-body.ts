import { StewardError } from '@steward/contracts';
import type { z } from 'zod';

/** Validates an HTTP body with the same schema the bus uses; failures are INVALID_INPUT. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new StewardError('INVALID_INPUT', 'the request body is not valid', {
      details: parsed.error.issues,
    });
  }
  return parsed.data;
}
