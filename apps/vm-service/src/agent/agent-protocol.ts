import { z } from 'zod';

/*
 * What vm-service and the resident agent in a sandbox (sandbox-agent/agent.mjs) say to each other:
 * one JSON object per line. Everything the agent sends is validated: the agent runs inside the
 * sandbox, beside the code it runs, and is trusted no more than that code.
 */

/** The longest line the agent may send; a longer one means the sandbox is misbehaving. */
export const MAX_AGENT_LINE_BYTES = 1024 * 1024;

export interface RunFrame {
  readonly t: 'run';
  readonly id: string;
  readonly cmd: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly headBytes: number;
  readonly tailBytes: number;
  readonly liveBytes: number;
}

export type HostFrame =
  RunFrame | { readonly t: 'kill'; readonly id: string } | { readonly t: 'ping'; readonly id: string };

const id = z.string().max(128);
const base64 = z.string().max(MAX_AGENT_LINE_BYTES);
const captured = z.object({ head: base64, tail: base64, total: z.number().int().nonnegative() });

export const agentFrameSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ready'), pid: z.number().int(), node: z.string().max(64) }),
  z.object({ t: z.literal('started'), id, pid: z.number().int() }),
  z.object({ t: z.literal('out'), id, s: z.enum(['o', 'e']), d: base64 }),
  z.object({
    t: z.literal('exit'),
    id,
    code: z.number().int().nullable(),
    signal: z.string().max(32).nullable(),
    timedOut: z.boolean(),
    killed: z.boolean(),
    ms: z.number().nonnegative(),
    out: captured,
    err: captured,
    notes: z.array(z.string().max(1_000)).max(16),
  }),
  z.object({ t: z.literal('fail'), id, message: z.string().max(4_000) }),
  z.object({ t: z.literal('pong'), id }),
]);
export type AgentFrame = z.infer<typeof agentFrameSchema>;
export type ExitFrame = Extract<AgentFrame, { t: 'exit' }>;
