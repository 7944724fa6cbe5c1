import { z } from 'zod';

/**
 * The bare reader connects as vm-service, which the read benchmark never starts: fs-service answers
 * every `fs.>` subject (NOT_FOUND for the ones it does not serve), so a bare subscription there would
 * race it. vm-service's grants have the same shape (one `<prefix>.>` space and its own inbox), and
 * the orchestrator may call it, so nats-server checks the same kind of permissions on both paths.
 */
export const BARE_READ_SERVICE = 'vm-service';
export const BARE_READ_SUBJECT = 'vm.bench.read';

/** Parent → bare reader over the fork IPC channel (passwords never go on the command line). */
export const toBareReader = z.object({
  type: z.literal('listen'),
  credentials: z.object({ servers: z.string(), user: z.string(), pass: z.string() }),
});
export type ToBareReader = z.infer<typeof toBareReader>;

/** Bare reader → parent. */
export const fromBareReader = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);
export type FromBareReader = z.infer<typeof fromBareReader>;
