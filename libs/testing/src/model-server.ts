import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StewardError } from '@steward/contracts';
import {
  errorBody,
  errorEvent,
  messageEvents,
  messageObject,
  resolveBlocks,
  type MessageParts,
  type WireEvent,
  type WireUsage,
} from './anthropic-wire.js';
import { DEFAULT_MODELS, modelInfo, openaiModelInfo, type ModelSpec } from './model-catalog.js';
import { modelRequest, type ModelApi, type ModelRequest } from './model-request.js';
import {
  chatCompletionChunks,
  chatCompletionObject,
  chatErrorBody,
  dataEvent,
  type ChatParts,
} from './openai-wire.js';
import {
  API_ERROR_STATUS,
  reply,
  toReply,
  type ApiErrorType,
  type MessageReply,
  type Reply,
  type Scripted,
} from './replies.js';
import { ApiFailure, isObject, validateChatBody, validateMessagesBody } from './request-validation.js';
import { estimateInputTokens, estimateOutputTokens, PromptCache, tokensForChars } from './token-estimate.js';
import { newChatCompletionId, newMessageId, newRequestId, newToolCallId, newToolUseId } from './wire-ids.js';

export interface ModelServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** When set, requests must carry it as `x-api-key` or `Authorization: Bearer`. */
  readonly apiKey?: string;
  /** What `/v1/models` lists and whose limits requests are held to. */
  readonly models?: readonly ModelSpec[];
  /** Refuse consecutive user (or assistant) messages instead of merging them as the API does. Default true. */
  readonly strictAlternation?: boolean;
  /** Answer 404 for a model not in `models`, as the API does for an unknown model. Default false. */
  readonly rejectUnknownModels?: boolean;
  /** Prefixes shorter than this are not cached (the API's minimum is 1024–4096 tokens by model). Default 0. */
  readonly minCacheableTokens?: number;
  /** Larger bodies get 413. Default 32 MB, the API's limit. */
  readonly maxBodyBytes?: number;
}

/** One HTTP request the server received. */
export interface RecordedRequest {
  readonly index: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body; undefined when there was none or it was not JSON. */
  readonly body: unknown;
  /** `Date.now()` when the request arrived. */
  readonly time: number;
  /** HTTP status sent, null while no response has started. */
  readonly status: number | null;
  /** The client went away before the response was complete (abort, timeout, or a scripted cut). */
  readonly clientAborted: boolean;
}

interface MutableRecord {
  index: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  time: number;
  status: number | null;
  clientAborted: boolean;
  settled: boolean;
}

export type ReplyHandler = (request: ModelRequest) => Scripted | Promise<Scripted>;

const MODEL_PATHS = new Set(['/v1/messages', '/v1/chat/completions']);
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_WAIT_MS = 5_000;

interface Turn {
  readonly ready: Promise<void>;
  readonly release: () => void;
}

/** What the next model request answers with, fixed in arrival order. */
type Source =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'handler'; readonly handler: ReplyHandler }
  | { readonly kind: 'none' };

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: MutableRecord;
  readonly requestId: string;
  /** Aborted when the client goes away or the server closes. */
  readonly signal: AbortSignal;
}

class ResponseFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorType: ApiErrorType,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function waitForClose(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function publicRecord({ settled: _settled, ...record }: MutableRecord): RecordedRequest {
  return record;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * A local stand-in for the Anthropic Messages API (and an OpenAI-compatible chat endpoint) that
 * answers with replies a test scripts, in the real wire format, so the official SDK is what runs.
 */
export class ModelServer {
  readonly #server: Server;
  readonly #options: Required<Omit<ModelServerOptions, 'apiKey' | 'port'>> & { apiKey: string | undefined };
  readonly #records: MutableRecord[] = [];
  readonly #queue: Reply[] = [];
  readonly #problems: string[] = [];
  readonly #cache: PromptCache;
  readonly #open = new Set<AbortController>();
  readonly #waiters = new Set<() => void>();
  #handler: ReplyHandler | null = null;
  #order: Promise<void> = Promise.resolve();
  #closed = false;

  /** Base URL to hand the SDK as `baseURL` (no trailing slash, no `/v1`). */
  readonly url: string;
  readonly port: number;

  private constructor(server: Server, options: ModelServerOptions) {
    this.#server = server;
    this.#options = {
      apiKey: options.apiKey,
      models: options.models ?? DEFAULT_MODELS,
      strictAlternation: options.strictAlternation ?? true,
      rejectUnknownModels: options.rejectUnknownModels ?? false,
      minCacheableTokens: options.minCacheableTokens ?? 0,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    };
    this.#cache = new PromptCache(this.#options.minCacheableTokens);
    const address = server.address() as AddressInfo;
    this.port = address.port;
    this.url = `http://127.0.0.1:${address.port}`;
  }

  static async start(options: ModelServerOptions = {}): Promise<ModelServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const modelServer = new ModelServer(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      modelServer.#handle(req, res).catch((error: unknown) => modelServer.#crash(res, error));
    });
    return modelServer;
  }

  /** Base URL for OpenAI-compatible clients, which expect the `/v1` in it. */
  get openaiBaseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Every request received, in arrival order. */
  get requests(): readonly RecordedRequest[] {
    return this.#records.map(publicRecord);
  }

  /** Requests that asked for a model answer (`POST /v1/messages`, `POST /v1/chat/completions`). */
  get modelRequests(): readonly RecordedRequest[] {
    return this.requests.filter((record) => record.method === 'POST' && MODEL_PATHS.has(record.path));
  }

  /** Scripting mistakes seen so far: a model request with no reply scripted, a handler that threw. */
  get problems(): readonly string[] {
    return [...this.#problems];
  }

  /** Replies enqueued and not yet used. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Adds replies that the next model requests get, one each, in arrival order. */
  enqueue(...replies: Scripted[]): this {
    for (const scripted of replies) this.#queue.push(toReply(scripted));
    return this;
  }

  /** Answers model requests the queue does not cover; pass null to remove. */
  respondWith(handler: ReplyHandler | null): this {
    this.#handler = handler;
    return this;
  }

  /** Forgets requests, queued replies, the handler, recorded problems and the prompt cache. */
  reset(): void {
    this.#records.length = 0;
    this.#queue.length = 0;
    this.#problems.length = 0;
    this.#handler = null;
    this.#cache.clear();
  }

  clearPromptCache(): void {
    this.#cache.clear();
  }

  /** Resolves once `count` model requests have arrived in full (their bodies read). */
  waitForModelRequests(
    count: number,
    options: { timeoutMs?: number } = {},
  ): Promise<readonly RecordedRequest[]> {
    const settled = (): MutableRecord[] =>
      this.#records.filter(
        (record) => record.settled && record.method === 'POST' && MODEL_PATHS.has(record.path),
      );
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const done = settled();
        if (done.length < count) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(done.map(publicRecord));
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new StewardError(
            'TIMEOUT',
            `waited ${options.timeoutMs ?? DEFAULT_WAIT_MS} ms for ${count} model request(s), ${settled().length} arrived`,
          ),
        );
      }, options.timeoutMs ?? DEFAULT_WAIT_MS);
      this.#waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#open) controller.abort();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://model-server');
    const record: MutableRecord = {
      index: this.#records.length,
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      headers: headerRecord(req),
      body: undefined,
      time: Date.now(),
      status: null,
      clientAborted: false,
      settled: false,
    };
    this.#records.push(record);
    const controller = new AbortController();
    this.#open.add(controller);
    res.on('close', () => {
      if (!res.writableFinished) record.clientAborted = true;
      this.#open.delete(controller);
      controller.abort();
    });
    const requestId = newRequestId();
    res.setHeader('request-id', requestId);
    const exchange: Exchange = { req, res, record, requestId, signal: controller.signal };

    const route = `${record.method} ${record.path}`;
    if (route === 'POST /v1/messages') return this.#messages(exchange);
    if (route === 'POST /v1/chat/completions') return this.#chat(exchange);
    if (route === 'POST /v1/messages/count_tokens') return this.#countTokens(exchange);
    if (record.method === 'GET' && (record.path === '/v1/models' || record.path.startsWith('/v1/models/'))) {
      return this.#models(exchange);
    }
    await this.#readBody(exchange);
    this.#sendAnthropicError(exchange, new ResponseFailure(404, 'not_found_error', 'Not Found'));
  }

  /** Reads and records the body; bodies over the limit are drained and reported as too large. */
  async #readBody(exchange: Exchange): Promise<{ tooLarge: boolean; text: string }> {
    const { req, record } = exchange;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    try {
      for await (const chunk of req) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > this.#options.maxBodyBytes) tooLarge = true;
        if (!tooLarge) chunks.push(buffer);
      }
    } catch {
      // The client went away mid-body; the response 'close' handler has already noted it.
    }
    const text = tooLarge ? '' : Buffer.concat(chunks).toString('utf8');
    if (!tooLarge && text !== '') {
      try {
        record.body = JSON.parse(text) as unknown;
      } catch {
        record.body = undefined;
      }
    }
    record.settled = true;
    for (const waiter of [...this.#waiters]) waiter();
    return { tooLarge, text };
  }

  #checkAnthropicHeaders(exchange: Exchange): void {
    const headers = exchange.record.headers;
    const expected = this.#options.apiKey;
    if (expected !== undefined) {
      const bearer = headers['authorization']?.match(/^Bearer\s+(.+)$/i)?.[1];
      const given = headers['x-api-key'] ?? bearer;
      if (given === undefined)
        throw new ResponseFailure(401, 'authentication_error', 'x-api-key header is required');
      if (given !== expected) throw new ResponseFailure(401, 'authentication_error', 'invalid x-api-key');
    }
    if (headers['anthropic-version'] === undefined) {
      throw new ResponseFailure(400, 'invalid_request_error', 'anthropic-version: header is required');
    }
  }

  #parseJson(text: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ResponseFailure(
        400,
        'invalid_request_error',
        `There was an error parsing the body of your request: ${(error as Error).message}`,
      );
    }
  }

  #modelSpec(model: string): ModelSpec | undefined {
    return this.#options.models.find((spec) => spec.id === model);
  }

  /** Validation shared by /v1/messages and /v1/messages/count_tokens. */
  #acceptMessagesBody(
    exchange: Exchange,
    read: { tooLarge: boolean; text: string },
    endpoint: 'create' | 'count_tokens',
  ) {
    if (read.tooLarge) {
      throw new ResponseFailure(
        413,
        'request_too_large',
        `Request exceeds the maximum allowed number of bytes. The maximum request size is ${Math.round(this.#options.maxBodyBytes / 1024 / 1024)} MB.`,
      );
    }
    this.#checkAnthropicHeaders(exchange);
    const body = this.#parseJson(read.text);
    const model = isObject(body) && typeof body['model'] === 'string' ? body['model'] : undefined;
    const spec = model === undefined ? undefined : this.#modelSpec(model);
    try {
      validateMessagesBody(body, {
        endpoint,
        strictAlternation: this.#options.strictAlternation,
        limits: spec ? { maxOutputTokens: spec.maxOutputTokens ?? null } : null,
      });
    } catch (error) {
      if (error instanceof ApiFailure)
        throw new ResponseFailure(error.status, error.errorType, error.message);
      throw error;
    }
    const modelId = String(body['model']);
    if (!spec && this.#options.rejectUnknownModels) {
      throw new ResponseFailure(404, 'not_found_error', `model: ${modelId}`);
    }
    const inputTokens = estimateInputTokens(body);
    if (spec?.maxInputTokens != null && inputTokens > spec.maxInputTokens) {
      throw new ResponseFailure(
        400,
        'invalid_request_error',
        `prompt is too long: ${inputTokens} tokens > ${spec.maxInputTokens} maximum`,
      );
    }
    return { body, model: modelId, inputTokens };
  }

  #takeTurn(): Turn {
    const previous = this.#order;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#order = previous.then(() => mine);
    return { ready: previous, release };
  }

  #nextSource(): Source {
    const queued = this.#queue.shift();
    if (queued) return { kind: 'reply', reply: queued };
    if (this.#handler) return { kind: 'handler', handler: this.#handler };
    return { kind: 'none' };
  }

  async #resolveReply(source: Source, request: ModelRequest, route: string): Promise<Reply> {
    if (source.kind === 'reply') return source.reply;
    if (source.kind === 'none') {
      throw this.#scriptProblem(
        `ModelServer: the test scripted no reply for ${route} (request #${request.index}, ${request.messageCount} message(s), last user text ${JSON.stringify(request.lastUserText.slice(0, 80))}). Call enqueue() or respondWith() first.`,
      );
    }
    let scripted: unknown;
    try {
      scripted = await source.handler(request);
    } catch (error) {
      throw this.#scriptProblem(
        `ModelServer: the reply handler threw for ${route} (request #${request.index}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const valid =
      typeof scripted === 'string' ||
      (isObject(scripted) && (typeof scripted['kind'] === 'string' || typeof scripted['type'] === 'string'));
    if (!valid) {
      throw this.#scriptProblem(
        `ModelServer: the reply handler returned ${JSON.stringify(scripted)} for ${route} (request #${request.index}); return a Reply, a block or a string.`,
      );
    }
    return toReply(scripted as Scripted);
  }

  /** A harness mistake: recorded for the test to assert on, and answered so that the SDK does not retry. */
  #scriptProblem(message: string): ResponseFailure {
    this.#problems.push(message);
    return new ResponseFailure(500, 'api_error', message, { 'x-should-retry': 'false' });
  }

  /** Picks the reply for a model request in arrival order, after its body has been accepted. */
  async #replyFor(
    exchange: Exchange,
    api: ModelApi,
    accept: (read: { tooLarge: boolean; text: string }) => Record<string, unknown> | null,
  ): Promise<{ reply: Reply; request: ModelRequest } | null> {
    const turn = this.#takeTurn();
    let source: Source;
    let request: ModelRequest;
    try {
      const read = await this.#readBody(exchange);
      const body = accept(read);
      if (body === null) return null;
      request = modelRequest(api, exchange.record.index, body, exchange.record.headers);
      await turn.ready;
      source = this.#nextSource();
    } finally {
      turn.release();
    }
    const route = `${exchange.record.method} ${exchange.record.path}`;
    return { reply: await this.#resolveReply(source, request, route), request };
  }

  async #messages(exchange: Exchange): Promise<void> {
    let accepted: { body: Record<string, unknown>; model: string } | undefined;
    try {
      const picked = await this.#replyFor(exchange, 'anthropic', (read) => {
        accepted = this.#acceptMessagesBody(exchange, read, 'create');
        // max_tokens 0 only warms the prompt cache: nothing is generated, so no scripted reply is used.
        return accepted.body['max_tokens'] === 0 ? null : accepted.body;
      });
      if (!accepted) return;
      const answer = picked
        ? picked.reply
        : reply([], { stopReason: 'max_tokens', usage: { outputTokens: 0 } });
      await this.#deliverMessage(
        exchange,
        answer,
        accepted.body,
        accepted.model,
        accepted.body['stream'] === true,
      );
    } catch (error) {
      this.#fail(exchange, error, 'anthropic');
    }
  }

  #usageFor(body: Record<string, unknown>, model: string, answer: MessageReply): WireUsage {
    const figures = this.#cache.account(model, body);
    const override = answer.usage;
    return {
      input_tokens: override.inputTokens ?? figures.inputTokens,
      cache_creation_input_tokens: override.cacheCreationInputTokens ?? figures.cacheCreationInputTokens,
      cache_read_input_tokens: override.cacheReadInputTokens ?? figures.cacheReadInputTokens,
      cache_creation: {
        ephemeral_5m_input_tokens: figures.ephemeral5mInputTokens,
        ephemeral_1h_input_tokens: figures.ephemeral1hInputTokens,
      },
      output_tokens: override.outputTokens ?? estimateOutputTokens(answer.content),
      service_tier: 'standard',
    };
  }

  #messageParts(body: Record<string, unknown>, model: string, answer: MessageReply): MessageParts {
    return {
      id: newMessageId(),
      model: answer.model ?? model,
      content: resolveBlocks(answer.content, newToolUseId),
      stopReason: answer.stopReason,
      stopSequence: answer.stopSequence,
      usage: this.#usageFor(body, model, answer),
    };
  }

  async #deliverMessage(
    exchange: Exchange,
    answer: Reply,
    body: Record<string, unknown>,
    model: string,
    stream: boolean,
  ): Promise<void> {
    const { signal } = exchange;
    if (answer.kind !== 'cut' && answer.kind !== 'hang') await sleep(answer.delayMs ?? 0, signal);
    if (signal.aborted) return;
    switch (answer.kind) {
      case 'http_error':
        throw new ResponseFailure(answer.status, answer.errorType, answer.message, answer.headers);
      case 'hang':
        return this.#hang(exchange, stream);
      case 'message': {
        const parts = this.#messageParts(body, model, answer);
        if (stream) return this.#stream(exchange, messageEvents(parts), answer.chunkDelayMs ?? 0);
        const events = messageEvents(parts).length;
        await sleep((answer.chunkDelayMs ?? 0) * events, signal);
        return this.#sendJson(exchange, 200, messageObject(parts));
      }
      case 'stream_error': {
        if (!stream) {
          throw new ResponseFailure(API_ERROR_STATUS[answer.errorType], answer.errorType, answer.message);
        }
        const events = messageEvents(this.#messageParts(body, model, answer.reply)).slice(
          0,
          answer.afterEvents,
        );
        events.push(errorEvent(answer.errorType, answer.message, exchange.requestId));
        return this.#stream(exchange, events, answer.chunkDelayMs ?? 0);
      }
      case 'cut': {
        const parts = this.#messageParts(body, model, answer.reply);
        await sleep(answer.reply.delayMs ?? 0, signal);
        if (stream)
          return this.#cutStream(exchange, messageEvents(parts), answer, answer.reply.chunkDelayMs ?? 0);
        return this.#cutJson(exchange, messageObject(parts), answer.afterBytes);
      }
    }
  }

  async #chat(exchange: Exchange): Promise<void> {
    let accepted: Record<string, unknown> | undefined;
    try {
      const picked = await this.#replyFor(exchange, 'openai', (read) => {
        if (read.tooLarge) {
          throw new ResponseFailure(413, 'request_too_large', 'Request body too large.');
        }
        this.#checkBearer(exchange);
        const body = this.#parseJson(read.text);
        try {
          validateChatBody(body);
        } catch (error) {
          if (error instanceof ApiFailure) {
            throw new ResponseFailure(error.status, error.errorType, error.message, {}, error.param);
          }
          throw error;
        }
        accepted = body;
        return body;
      });
      if (!picked || !accepted) return;
      await this.#deliverChat(exchange, picked.reply, accepted);
    } catch (error) {
      this.#fail(exchange, error, 'openai');
    }
  }

  #checkBearer(exchange: Exchange): void {
    const expected = this.#options.apiKey;
    if (expected === undefined) return;
    const given = exchange.record.headers['authorization']?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (given === undefined) {
      throw new ResponseFailure(
        401,
        'authentication_error',
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      );
    }
    if (given !== expected)
      throw new ResponseFailure(401, 'authentication_error', 'Incorrect API key provided.');
  }

  #chatParts(body: Record<string, unknown>, answer: MessageReply): ChatParts {
    const streamOptions = body['stream_options'];
    return {
      id: newChatCompletionId(),
      created: Math.floor(Date.now() / 1000),
      model: answer.model ?? String(body['model']),
      content: resolveBlocks(answer.content, newToolCallId),
      stopReason: answer.stopReason,
      promptTokens:
        answer.usage.inputTokens ??
        Math.max(
          1,
          tokensForChars(
            JSON.stringify(body['messages'] ?? []).length + JSON.stringify(body['tools'] ?? []).length,
          ),
        ),
      completionTokens: answer.usage.outputTokens ?? estimateOutputTokens(answer.content),
      includeUsage: isObject(streamOptions) && streamOptions['include_usage'] === true,
    };
  }

  async #deliverChat(exchange: Exchange, answer: Reply, body: Record<string, unknown>): Promise<void> {
    const { signal } = exchange;
    const stream = body['stream'] === true;
    if (answer.kind !== 'cut' && answer.kind !== 'hang') await sleep(answer.delayMs ?? 0, signal);
    if (signal.aborted) return;
    switch (answer.kind) {
      case 'http_error':
        throw new ResponseFailure(answer.status, answer.errorType, answer.message, answer.headers);
      case 'hang':
        return this.#hang(exchange, stream);
      case 'message': {
        const parts = this.#chatParts(body, answer);
        if (stream) return this.#stream(exchange, chatCompletionChunks(parts), answer.chunkDelayMs ?? 0);
        await sleep((answer.chunkDelayMs ?? 0) * chatCompletionChunks(parts).length, signal);
        return this.#sendJson(exchange, 200, chatCompletionObject(parts));
      }
      case 'stream_error': {
        if (!stream) {
          throw new ResponseFailure(API_ERROR_STATUS[answer.errorType], answer.errorType, answer.message);
        }
        const events = chatCompletionChunks(this.#chatParts(body, answer.reply)).slice(0, answer.afterEvents);
        events.push(dataEvent(chatErrorBody(answer.errorType, answer.message)));
        return this.#stream(exchange, events, answer.chunkDelayMs ?? 0);
      }
      case 'cut': {
        const parts = this.#chatParts(body, answer.reply);
        await sleep(answer.reply.delayMs ?? 0, signal);
        if (stream)
          return this.#cutStream(
            exchange,
            chatCompletionChunks(parts),
            answer,
            answer.reply.chunkDelayMs ?? 0,
          );
        return this.#cutJson(exchange, chatCompletionObject(parts), answer.afterBytes);
      }
    }
  }

  async #countTokens(exchange: Exchange): Promise<void> {
    try {
      const read = await this.#readBody(exchange);
      const { inputTokens } = this.#acceptMessagesBody(exchange, read, 'count_tokens');
      this.#sendJson(exchange, 200, { input_tokens: inputTokens });
    } catch (error) {
      this.#fail(exchange, error, 'anthropic');
    }
  }

  async #models(exchange: Exchange): Promise<void> {
    const { record } = exchange;
    await this.#readBody(exchange);
    try {
      // OpenAI-compatible clients list models at the same path, without Anthropic's version header.
      const openai =
        record.headers['anthropic-version'] === undefined && record.headers['x-api-key'] === undefined;
      if (openai) {
        this.#checkBearer(exchange);
        return this.#sendJson(exchange, 200, {
          object: 'list',
          data: this.#options.models.map(openaiModelInfo),
        });
      }
      this.#checkAnthropicHeaders(exchange);
      const id = record.path.startsWith('/v1/models/')
        ? decodeURIComponent(record.path.slice('/v1/models/'.length))
        : null;
      if (id !== null) {
        const spec = this.#modelSpec(id);
        if (!spec) throw new ResponseFailure(404, 'not_found_error', `model: ${id}`);
        return this.#sendJson(exchange, 200, modelInfo(spec));
      }
      this.#sendJson(exchange, 200, this.#modelPage(record.query));
    } catch (error) {
      this.#fail(exchange, error, 'anthropic');
    }
  }

  #modelPage(query: Readonly<Record<string, string>>): Record<string, unknown> {
    const limitText = query['limit'] ?? '20';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ResponseFailure(400, 'invalid_request_error', 'limit: Input should be between 1 and 1000');
    }
    const all = this.#options.models;
    let start = 0;
    let end = all.length;
    const afterId = query['after_id'];
    const beforeId = query['before_id'];
    if (afterId !== undefined) start = all.findIndex((spec) => spec.id === afterId) + 1;
    if (beforeId !== undefined)
      end = Math.max(
        0,
        all.findIndex((spec) => spec.id === beforeId),
      );
    const page =
      beforeId !== undefined
        ? all.slice(Math.max(start, end - limit), end)
        : all.slice(start, Math.min(end, start + limit));
    const pageStart = beforeId !== undefined ? Math.max(start, end - limit) : start;
    const hasMore = beforeId !== undefined ? pageStart > 0 : pageStart + page.length < end;
    return {
      data: page.map(modelInfo),
      has_more: hasMore,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
    };
  }

  /**
   * A stream gets its headers and then nothing, as when the first token never comes; a non-streamed
   * request gets nothing at all, as the API sends its headers only with the finished answer.
   */
  #hang(exchange: Exchange, stream: boolean): Promise<void> {
    const { res, record, signal } = exchange;
    if (stream) {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
    }
    return waitForClose(signal);
  }

  #startStream(exchange: Exchange): void {
    exchange.record.status = 200;
    exchange.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
  }

  async #write(exchange: Exchange, chunk: string | Buffer): Promise<void> {
    const { res, signal } = exchange;
    if (signal.aborted) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        res.on('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  async #stream(exchange: Exchange, events: readonly WireEvent[], chunkDelayMs: number): Promise<void> {
    this.#startStream(exchange);
    for (const [index, event] of events.entries()) {
      if (index > 0) await sleep(chunkDelayMs, exchange.signal);
      if (exchange.signal.aborted) return;
      await this.#write(exchange, event.text);
    }
    if (!exchange.signal.aborted) exchange.res.end();
  }

  /** Streams events until the cut point, then destroys the socket without ending the body. */
  async #cutStream(
    exchange: Exchange,
    events: readonly WireEvent[],
    answer: Extract<Reply, { kind: 'cut' }>,
    chunkDelayMs: number,
  ): Promise<void> {
    const buffers = events.map((event) => Buffer.from(event.text, 'utf8'));
    const offsets: number[] = [];
    let total = 0;
    for (const buffer of buffers) {
      offsets.push(total);
      total += buffer.length;
    }
    let from = 0;
    let until = total;
    if (answer.atBlock !== undefined) {
      const first = events.findIndex((event) => event.block === answer.atBlock);
      const last = events.map((event) => event.block).lastIndexOf(answer.atBlock);
      from = offsets[first] ?? 0;
      until = (offsets[last] ?? 0) + (buffers[last]?.length ?? 0);
    }
    const cutAt = Math.min(total, from + (answer.afterBytes ?? Math.floor((until - from) / 2)));

    this.#startStream(exchange);
    for (const [index, buffer] of buffers.entries()) {
      const start = offsets[index] ?? 0;
      if (start >= cutAt) break;
      if (index > 0) await sleep(chunkDelayMs, exchange.signal);
      if (exchange.signal.aborted) return;
      await this.#write(exchange, buffer.subarray(0, Math.min(buffer.length, cutAt - start)));
    }
    this.#destroyAfterFlush(exchange);
  }

  #cutJson(exchange: Exchange, payload: Record<string, unknown>, afterBytes: number | undefined): void {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    exchange.record.status = 200;
    exchange.res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(body.length),
    });
    exchange.res.write(
      body.subarray(0, Math.min(body.length - 1, afterBytes ?? Math.floor(body.length / 2))),
    );
    this.#destroyAfterFlush(exchange);
  }

  #destroyAfterFlush(exchange: Exchange): void {
    const { res, req } = exchange;
    // An empty write's callback runs once everything before it has reached the socket.
    res.write('', () => req.socket.destroy());
  }

  #sendJson(
    exchange: Exchange,
    status: number,
    payload: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const { res, record } = exchange;
    if (res.headersSent || exchange.signal.aborted) return;
    const body = JSON.stringify(payload);
    record.status = status;
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }

  #sendAnthropicError(exchange: Exchange, failure: ResponseFailure): void {
    this.#sendJson(
      exchange,
      failure.status,
      errorBody(failure.errorType, failure.message, exchange.requestId),
      failure.headers,
    );
  }

  #fail(exchange: Exchange, error: unknown, api: ModelApi): void {
    const failure =
      error instanceof ResponseFailure
        ? error
        : new ResponseFailure(
            500,
            'api_error',
            `ModelServer internal error: ${error instanceof Error ? error.message : String(error)}`,
            {
              'x-should-retry': 'false',
            },
          );
    if (!(error instanceof ResponseFailure)) this.#problems.push(failure.message);
    if (api === 'anthropic') return this.#sendAnthropicError(exchange, failure);
    this.#sendJson(
      exchange,
      failure.status,
      chatErrorBody(failure.errorType, failure.message, failure.param),
      failure.headers,
    );
  }

  #crash(res: ServerResponse, error: unknown): void {
    const message = `ModelServer internal error: ${error instanceof Error ? error.message : String(error)}`;
    this.#problems.push(message);
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json', 'x-should-retry': 'false' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message } }));
    } else {
      res.destroy();
    }
  }
}
