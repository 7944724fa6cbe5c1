import { defineRpc } from '@steward/contracts';
import { z } from 'zod';

const echoBody = z.object({ payload: z.string() });
type EchoBody = z.infer<typeof echoBody>;

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
 * The bare variants use their own subjects so they can never be mistaken for the library's. No two
 * variants run at once: the library's server subscribes to all of `fs.>` and would answer them too.
 */
export const BARE_SUBJECT = 'fs.bench.bare';
export const BARE_JSON_SUBJECT = 'fs.bench.barejson';

/** What the library's server replies to `echoRpc`, and so what the bare-json responder replies. */
export interface EchoReply {
  readonly data: EchoBody;
}

export const BARE_TIMEOUT_MS = echoRpc.timeoutMs;
