import Anthropic from '@anthropic-ai/sdk';
import { StewardError } from '@steward/contracts';
import type { ChatMessage, ContentBlock, ModelProvider, ModelReply, ModelRequest } from './model-types.js';
import {
  DEFAULT_RETRY_POLICY,
  retryAfterMs,
  withRetries,
  type FailureVerdict,
  type RetryPolicy,
} from './retry.js';

/** Statuses worth another attempt: timeouts, conflicts, rate limits, the server's own failures. */
const RETRYABLE_STATUS = new Set([408, 409, 429, 500, 502, 503, 504, 529]);
const EPHEMERAL = { type: 'ephemeral' } as const;

export interface AnthropicProviderOptions {
  readonly apiKey: () => string | undefined;
  readonly baseURL?: string | undefined;
  readonly retry?: RetryPolicy;
  /** One attempt's longest wait for the whole answer. */
  readonly timeoutMs?: number;
}

/**
 * The Messages API through the official SDK, always streaming. The SDK's own retries are off: a
 * stream that breaks halfway (inside a tool_use, say) is not something it retries, so every
 * failure goes through one policy here, and a turn is used only once it arrived whole.
 */
export class AnthropicProvider implements ModelProvider {
  readonly name = 'anthropic';
  private client: { key: string; sdk: Anthropic } | undefined;

  constructor(private readonly options: AnthropicProviderOptions) {}

  async complete(request: ModelRequest): Promise<ModelReply> {
    const sdk = this.sdk();
    const params = {
      model: request.model,
      max_tokens: request.maxTokens,
      system: [{ type: 'text' as const, text: request.system, cache_control: EPHEMERAL }],
      tools: request.tools.map((tool, index) =>
        index === request.tools.length - 1 ? { ...tool, cache_control: EPHEMERAL } : { ...tool },
      ),
      messages: withCacheBreakpoint(request.messages),
      ...(request.forceTool === undefined ? {} : { tool_choice: { type: 'tool', name: request.forceTool } }),
    } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const message = await withRetries(
      async (attempt) => {
        const stream = sdk.messages.stream(params, {
          signal: request.signal,
          maxRetries: 0,
          timeout: this.options.timeoutMs ?? 10 * 60_000,
        });
        let sentText = false;
        stream.on('text', (delta) => {
          if (attempt > 1 && !sentText) request.onText?.('');
          sentText = true;
          request.onText?.(delta);
        });
        return stream.finalMessage();
      },
      judgeAnthropicFailure,
      {
        policy: this.options.retry ?? DEFAULT_RETRY_POLICY,
        signal: request.signal,
        onRetry: request.onRetry,
      },
    ).catch((error: unknown) => {
      throw toStewardError(error);
    });
    const usage = message.usage as Anthropic.Usage;
    return {
      content: message.content as unknown as ContentBlock[],
      stopReason: message.stop_reason ?? 'end_turn',
      usage: {
        inputTokens: usage.input_tokens,
        outputTokens: usage.output_tokens,
        cacheReadTokens: usage.cache_read_input_tokens ?? 0,
        cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
      },
    };
  }

  /** A client per key, so a key saved from the page applies to the next turn without a restart. */
  private sdk(): Anthropic {
    const key = this.options.apiKey();
    if (key === undefined) {
      throw new StewardError(
        'UNAUTHORIZED',
        'no Anthropic API key is configured: set ANTHROPIC_API_KEY or save a key in Settings',
        { retryable: false },
      );
    }
    if (this.client?.key !== key) {
      this.client = {
        key,
        sdk: new Anthropic({
          apiKey: key,
          baseURL: this.options.baseURL ?? null,
          maxRetries: 0,
          // The SDK's own span per API call, never with the conversation in it: an environment
          // variable must not be able to export what managed policy keeps in.
          openTelemetry: { traces: { contentMode: 'metadata_only' } },
        }),
      };
    }
    return this.client.sdk;
  }
}

/**
 * The last block of the conversation marks the end of the cached prefix, so each turn reads what
 * the previous one wrote. Copies: what is persisted stays as the model produced it.
 */
function withCacheBreakpoint(messages: readonly ChatMessage[]): unknown[] {
  return messages.map((message, index) => {
    if (index !== messages.length - 1 || message.content.length === 0) return message;
    const content = message.content.map((block, at) =>
      at === message.content.length - 1 ? { ...block, cache_control: EPHEMERAL } : block,
    );
    return { ...message, content };
  });
}

export function judgeAnthropicFailure(error: unknown): FailureVerdict {
  if (error instanceof Anthropic.APIUserAbortError) return { retryable: false, reason: 'cancelled' };
  if (error instanceof Anthropic.APIConnectionError) {
    return { retryable: true, reason: `connection failed: ${error.message}` };
  }
  if (error instanceof Anthropic.APIError) {
    if (error.status === undefined) {
      // An `error` event inside the stream (overloaded, api_error): the turn did not arrive whole.
      return {
        retryable: true,
        reason: `the stream reported an error: ${errorType(error) ?? error.message}`,
      };
    }
    // The server may say outright whether another attempt can help.
    if (RETRYABLE_STATUS.has(error.status) && error.headers?.get('x-should-retry') !== 'false') {
      return {
        retryable: true,
        reason: `${error.status} ${errorType(error) ?? ''}`.trim(),
        retryAfterMs: retryAfterMs(error.headers),
      };
    }
    return { retryable: false, reason: `${error.status}` };
  }
  if (error instanceof Anthropic.AnthropicError || error instanceof TypeError) {
    // The SDK's stream reader: the connection ended before the message did.
    return { retryable: true, reason: `the stream broke: ${error.message}` };
  }
  return { retryable: false, reason: String(error) };
}

function errorType(error: InstanceType<typeof Anthropic.APIError>): string | undefined {
  const body = error.error as { error?: { type?: unknown } } | undefined;
  return typeof body?.error?.type === 'string' ? body.error.type : undefined;
}

function toStewardError(error: unknown): StewardError {
  if (error instanceof StewardError) return error;
  if (error instanceof Anthropic.APIUserAbortError) {
    return new StewardError('CANCELLED', 'the task was cancelled while the model was answering');
  }
  if (error instanceof Anthropic.APIError && error.status !== undefined) {
    const detail = (error.error as { error?: { message?: unknown } } | undefined)?.error?.message;
    const message = `the model API answered ${error.status}: ${typeof detail === 'string' ? detail : error.message}`;
    if (error.status === 401 || error.status === 403) {
      return new StewardError('UNAUTHORIZED', message, { retryable: false });
    }
    if (error.status === 404) return new StewardError('NOT_FOUND', message, { retryable: false });
    return new StewardError('INVALID_INPUT', message, { retryable: false });
  }
  return new StewardError('UNAVAILABLE', `the model API failed: ${String(error)}`, { cause: error });
}
