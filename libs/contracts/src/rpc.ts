import type { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { ServiceName } from './services.js';

/**
 * One request/reply on the bus, defined once and used by both sides: the subject, who serves it,
 * who may call it, what goes in and out, the errors it may answer with, and how long a caller waits.
 */
export interface RpcDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly subject: string;
  readonly server: ServiceName;
  readonly callers: readonly ServiceName[];
  readonly request: Req;
  readonly response: Res;
  readonly errors: readonly ErrorCode[];
  readonly timeoutMs: number;
  readonly description: string;
}

export type RpcRequest<R extends RpcDefinition> = z.input<R['request']>;
export type RpcResponse<R extends RpcDefinition> = z.output<R['response']>;

const SUBJECT_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/;

export function defineRpc<Req extends z.ZodType, Res extends z.ZodType>(
  definition: RpcDefinition<Req, Res>,
): RpcDefinition<Req, Res> {
  if (!SUBJECT_PATTERN.test(definition.subject)) {
    throw new Error(`RPC subject "${definition.subject}" is not <service>.<noun>.<verb>`);
  }
  return Object.freeze(definition);
}

/** Successful replies carry `{ data }`; failures carry the error envelope `{ error }`. */
export interface ReplyOk<T> {
  readonly data: T;
}
