import { defineRpc } from '@steward/contracts';
import { z } from 'zod';

const echoBody = z.object({ payload: z.string() });

/** The library side of the bus benchmark: fs-service answers with what the orchestrator sent. */
export const echoRpc = defineRpc({
  subject: 'fs.bench.echo',
  server: 'fs-service',
  callers: ['orchestrator'],
  request: echoBody,
  response: echoBody,
  errors: ['INTERNAL'],
  timeoutMs: 5_000,
  description: 'Benchmark only: answers with its input.',
});

/**
 * The bare side uses its own subject so it can never be mistaken for the library's. Both sides
 * never run at once: the library's server subscribes to all of `fs.>` and would answer it too.
 */
export const BARE_SUBJECT = 'fs.bench.bare';

export const BARE_TIMEOUT_MS = echoRpc.timeoutMs;
