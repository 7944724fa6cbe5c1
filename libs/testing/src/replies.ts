import { StewardError } from '@steward/contracts';

/** The `error.type` values the Messages API uses, with the HTTP status each normally comes with. */
export const API_ERROR_STATUS = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
} as const;
export type ApiErrorType = keyof typeof API_ERROR_STATUS;

const DEFAULT_ERROR_MESSAGES: Record<ApiErrorType, string> = {
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not Found',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit.',
  api_error: 'Internal server error',
  timeout_error: 'Request timed out.',
  overloaded_error: 'Overloaded',
};

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

export interface TextSpec {
  readonly type: 'text';
  readonly text: string;
}

export interface ToolUseSpec {
  readonly type: 'tool_use';
  /** Sent as given; when absent each answer gets a fresh `toolu_…` (Anthropic) or `call_…` (OpenAI) id. */
  readonly id?: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface ThinkingSpec {
  readonly type: 'thinking';
  readonly thinking: string;
  /** Sent as given; when absent a random opaque signature is sent. */
  readonly signature?: string;
}

/** One content block of a scripted answer. */
export type BlockSpec = TextSpec | ToolUseSpec | ThinkingSpec;

export interface UsageOverride {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheCreationInputTokens?: number;
  readonly cacheReadInputTokens?: number;
}

export interface PacingOptions {
  /** Wait this long before answering at all (time to first byte). */
  readonly delayMs?: number;
  /**
   * Wait this long between streamed events, so a streamed answer takes time. A non-streamed answer
   * waits as long as its stream would have taken in total.
   */
  readonly chunkDelayMs?: number;
}

/** A normal answer: content blocks, a stop reason and token usage. */
export interface MessageReply extends PacingOptions {
  readonly kind: 'message';
  readonly content: readonly BlockSpec[];
  readonly stopReason: StopReason;
  readonly stopSequence: string | null;
  readonly usage: UsageOverride;
  /** The model id the answer names; defaults to the one the request asked for. */
  readonly model?: string;
}

/** An HTTP error response instead of an answer. */
export interface HttpErrorReply extends PacingOptions {
  readonly kind: 'http_error';
  readonly status: number;
  readonly errorType: ApiErrorType;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A stream that starts normally, then sends an `error` event after `afterEvents` events and ends. */
export interface StreamErrorReply extends PacingOptions {
  readonly kind: 'stream_error';
  readonly afterEvents: number;
  readonly errorType: ApiErrorType;
  readonly message: string;
  readonly reply: MessageReply;
}

/** An answer whose connection is destroyed part way through. */
export interface CutReply {
  readonly kind: 'cut';
  readonly reply: MessageReply;
  /** Count bytes from the first event of this content block (from the start of the body when absent). */
  readonly atBlock?: number;
  /** Bytes written before the socket is destroyed; defaults to half of what remains from the start point. */
  readonly afterBytes?: number;
}

/** Response headers, then nothing, until the client gives up or the server closes. */
export interface HangReply {
  readonly kind: 'hang';
}

export type Reply = MessageReply | HttpErrorReply | StreamErrorReply | CutReply | HangReply;

/** What a test may enqueue or a handler may return: a reply, a single block, or plain text. */
export type Scripted = Reply | BlockSpec | string;

export function text(value: string): TextSpec {
  if (typeof value !== 'string') throw new StewardError('INVALID_INPUT', 'text() needs a string');
  return { type: 'text', text: value };
}

export function toolUse(name: string, input: Record<string, unknown> = {}, id?: string): ToolUseSpec {
  if (typeof name !== 'string' || name === '') {
    throw new StewardError('INVALID_INPUT', 'toolUse() needs a tool name');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new StewardError(
      'INVALID_INPUT',
      `toolUse('${name}') needs an object input, as the API only sends objects`,
    );
  }
  return id === undefined ? { type: 'tool_use', name, input } : { type: 'tool_use', id, name, input };
}

export function thinking(value: string, signature?: string): ThinkingSpec {
  return signature === undefined
    ? { type: 'thinking', thinking: value }
    : { type: 'thinking', thinking: value, signature };
}

export interface ReplyOptions extends PacingOptions {
  /** Defaults to `tool_use` when a tool_use block is present, else `end_turn`. */
  readonly stopReason?: StopReason;
  readonly stopSequence?: string | null;
  readonly usage?: UsageOverride;
  readonly model?: string;
}

export function reply(
  blocks: BlockSpec | string | readonly (BlockSpec | string)[],
  options: ReplyOptions = {},
): MessageReply {
  const list = (Array.isArray(blocks) ? blocks : [blocks]) as readonly (BlockSpec | string)[];
  const content = list.map((block) => (typeof block === 'string' ? text(block) : block));
  const hasToolUse = content.some((block) => block.type === 'tool_use');
  const base: MessageReply = {
    kind: 'message',
    content,
    stopReason: options.stopReason ?? (hasToolUse ? 'tool_use' : 'end_turn'),
    stopSequence: options.stopSequence ?? null,
    usage: options.usage ?? {},
  };
  return {
    ...base,
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
    ...(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs }),
  };
}

export interface HttpErrorOptions extends PacingOptions {
  /** Sent as `retry-after` (seconds; the SDK accepts fractions). */
  readonly retryAfterSeconds?: number;
  /** Sent as `retry-after-ms`, which the SDK prefers over `retry-after`. */
  readonly retryAfterMs?: number;
  /** Sent as `x-should-retry`, which overrides the SDK's own status-based retry decision. */
  readonly shouldRetry?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

export function httpError(
  status: number,
  errorType: ApiErrorType,
  message?: string,
  options: HttpErrorOptions = {},
): HttpErrorReply {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new StewardError('INVALID_INPUT', `httpError() needs a 4xx or 5xx status, got ${status}`);
  }
  const headers: Record<string, string> = {};
  if (options.retryAfterSeconds !== undefined) headers['retry-after'] = String(options.retryAfterSeconds);
  if (options.retryAfterMs !== undefined) headers['retry-after-ms'] = String(options.retryAfterMs);
  if (options.shouldRetry !== undefined) headers['x-should-retry'] = String(options.shouldRetry);
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    kind: 'http_error',
    status,
    errorType,
    message: message ?? DEFAULT_ERROR_MESSAGES[errorType],
    headers,
    ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
  };
}

export interface StreamErrorOptions extends PacingOptions {
  readonly message?: string;
  /** The answer whose first events are sent before the error; a short text answer by default. */
  readonly reply?: MessageReply;
}

export function streamError(
  afterEvents: number,
  errorType: ApiErrorType = 'overloaded_error',
  options: StreamErrorOptions = {},
): StreamErrorReply {
  if (!Number.isInteger(afterEvents) || afterEvents < 0) {
    throw new StewardError(
      'INVALID_INPUT',
      `streamError() needs a whole number of events, got ${afterEvents}`,
    );
  }
  return {
    kind: 'stream_error',
    afterEvents,
    errorType,
    message: options.message ?? DEFAULT_ERROR_MESSAGES[errorType],
    reply: options.reply ?? reply(text('This answer is interrupted by a server error part way through.')),
    ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
    ...(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs }),
  };
}

export interface CutOptions {
  readonly atBlock?: number;
  readonly afterBytes?: number;
}

export function cut(answer: MessageReply | BlockSpec | string, options: CutOptions = {}): CutReply {
  const inner = typeof answer === 'string' || !('kind' in answer) ? reply(answer) : answer;
  if (options.atBlock !== undefined && (options.atBlock < 0 || options.atBlock >= inner.content.length)) {
    throw new StewardError(
      'INVALID_INPUT',
      `cut() atBlock ${options.atBlock} is outside the reply's ${inner.content.length} block(s)`,
    );
  }
  if (options.afterBytes !== undefined && (!Number.isInteger(options.afterBytes) || options.afterBytes < 0)) {
    throw new StewardError('INVALID_INPUT', `cut() needs a whole number of bytes, got ${options.afterBytes}`);
  }
  return {
    kind: 'cut',
    reply: inner,
    ...(options.atBlock === undefined ? {} : { atBlock: options.atBlock }),
    ...(options.afterBytes === undefined ? {} : { afterBytes: options.afterBytes }),
  };
}

export function hang(): HangReply {
  return { kind: 'hang' };
}

/** Turns whatever a test scripted into a full reply. */
export function toReply(scripted: Scripted): Reply {
  if (typeof scripted === 'string') return reply(text(scripted));
  if ('kind' in scripted) return scripted;
  return reply(scripted);
}
