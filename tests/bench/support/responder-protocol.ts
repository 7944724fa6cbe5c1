import { z } from 'zod';

/**
 * How the responder answers: a raw NATS subscription echoing the request's bytes ('bare'), the same
 * doing only the JSON work the library's wire format needs ('bare-json'), or a Nest microservice
 * through the library.
 */
export const responderMode = z.enum(['bare', 'bare-json', 'library']);
export type ResponderMode = z.infer<typeof responderMode>;
export type BareMode = Exclude<ResponderMode, 'library'>;

/** Parent → responder over the fork IPC channel (passwords never go on the command line). */
export const toResponder = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('listen'),
    mode: responderMode,
    credentials: z.object({ servers: z.string(), user: z.string(), pass: z.string() }),
    /** Start OpenTelemetry as a production service does (library mode only; bare stays bare). */
    telemetry: z.boolean(),
  }),
  z.object({ type: z.literal('unlisten') }),
  z.object({ type: z.literal('usage') }),
  z.object({ type: z.literal('exit') }),
]);
export type ToResponder = z.infer<typeof toResponder>;

/** Responder → parent. */
export const fromResponder = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('idle') }),
  z.object({ type: z.literal('usage'), cpuMicros: z.number(), rssBytes: z.number() }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);
export type FromResponder = z.infer<typeof fromResponder>;
