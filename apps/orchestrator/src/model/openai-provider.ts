import { StewardError } from '@steward/contracts';
import type {
  ChatMessage,
  ContentBlock,
  ModelProvider,
  ModelReply,
  ModelRequest,
  ToolResultBlock,
  ToolUseBlock,
} from './model-types.js';
import {
  DEFAULT_RETRY_POLICY,
  retryAfterMs,
  withRetries,
  type FailureVerdict,
  type RetryPolicy,
} from './retry.js';

const RETRYABLE_STATUS = new Set([408, 409, 429, 500, 502, 503, 504]);

export interface OpenAiProviderOptions {
  readonly baseURL: string;
  readonly apiKey: () => string | undefined;
  readonly retry?: RetryPolicy;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Headers,
  ) {
    super(`the endpoint answered ${status}: ${body.slice(0, 500)}`);
  }
}

class BrokenStream extends Error {}

interface ChatChunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  };
}

/**
 * OpenAI-compatible chat endpoints (LM Studio, vLLM, llama.cpp, Ollama's /v1): the conversation is
 * translated to chat messages and tool calls, streamed, and translated back into content blocks,
 * with the same retry policy as the Messages API.
 */
export class OpenAiProvider implements ModelProvider {
  readonly name = 'openai';

  constructor(private readonly options: OpenAiProviderOptions) {}

  async complete(request: ModelRequest): Promise<ModelReply> {
    const body = JSON.stringify({
      model: request.model,
      max_tokens: request.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'system', content: request.system }, ...request.messages.flatMap(toChatMessages)],
      ...(request.tools.length === 0
        ? {}
        : {
            tools: request.tools.map((tool) => ({
              type: 'function',
              function: { name: tool.name, description: tool.description, parameters: tool.input_schema },
            })),
          }),
      ...(request.forceTool === undefined
        ? {}
        : { tool_choice: { type: 'function', function: { name: request.forceTool } } }),
    });
    return withRetries(
      async (attempt) => {
        if (attempt > 1) request.onText?.('');
        return this.once(body, request);
      },
      judgeOpenAiFailure,
      {
        policy: this.options.retry ?? DEFAULT_RETRY_POLICY,
        signal: request.signal,
        onRetry: request.onRetry,
      },
    ).catch((error: unknown) => {
      if (error instanceof StewardError) throw error;
      if (request.signal.aborted) throw new StewardError('CANCELLED', 'the task was cancelled');
      if (error instanceof HttpFailure) {
        throw new StewardError(
          error.status === 401 || error.status === 403 ? 'UNAUTHORIZED' : 'INVALID_INPUT',
          error.message,
          { retryable: false },
        );
      }
      throw new StewardError('UNAVAILABLE', `the model endpoint failed: ${String(error)}`, { cause: error });
    });
  }

  private async once(body: string, request: ModelRequest): Promise<ModelReply> {
    const key = this.options.apiKey();
    const response = await fetch(`${this.options.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      body,
      signal: request.signal,
    });
    if (!response.ok || response.body === null) {
      throw new HttpFailure(response.status, await response.text().catch(() => ''), response.headers);
    }
    let text = '';
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let finish: string | null | undefined;
    let usage: ChatChunk['usage'];
    let done = false;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(piece, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as ChatChunk;
        if (chunk.usage !== undefined) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (choice === undefined) continue;
        if (typeof choice.delta?.content === 'string' && choice.delta.content !== '') {
          text += choice.delta.content;
          request.onText?.(choice.delta.content);
        }
        for (const call of choice.delta?.tool_calls ?? []) {
          const entry = calls.get(call.index) ?? { id: '', name: '', args: '' };
          if (call.id !== undefined) entry.id = call.id;
          if (call.function?.name !== undefined) entry.name += call.function.name;
          if (call.function?.arguments !== undefined) entry.args += call.function.arguments;
          calls.set(call.index, entry);
        }
        if (choice.finish_reason !== undefined && choice.finish_reason !== null)
          finish = choice.finish_reason;
      }
    }
    if (!done && finish === undefined) throw new BrokenStream('the stream ended before the answer did');
    const content: ContentBlock[] = [];
    if (text !== '') content.push({ type: 'text', text });
    for (const [index, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
      let input: unknown;
      try {
        input = call.args.trim() === '' ? {} : JSON.parse(call.args);
      } catch {
        // Kept as the model wrote it: validation answers the model with an error result.
        input = { _unparsed_arguments: call.args };
      }
      content.push({ type: 'tool_use', id: call.id || `call_${index}`, name: call.name, input });
    }
    const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
    return {
      content,
      stopReason: calls.size > 0 ? 'tool_use' : finish === 'length' ? 'max_tokens' : 'end_turn',
      usage: {
        inputTokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
        outputTokens: usage?.completion_tokens ?? 0,
        cacheReadTokens: cached,
        cacheWriteTokens: 0,
      },
    };
  }
}

function judgeOpenAiFailure(error: unknown): FailureVerdict {
  if (error instanceof HttpFailure) {
    return RETRYABLE_STATUS.has(error.status) && error.headers.get('x-should-retry') !== 'false'
      ? { retryable: true, reason: String(error.status), retryAfterMs: retryAfterMs(error.headers) }
      : { retryable: false, reason: String(error.status) };
  }
  if (error instanceof BrokenStream || error instanceof TypeError || error instanceof SyntaxError) {
    return { retryable: true, reason: `the stream broke: ${error.message}` };
  }
  if (error instanceof Error && error.name === 'AbortError') return { retryable: false, reason: 'cancelled' };
  return { retryable: false, reason: String(error) };
}

/** One conversation message as chat messages: tool results become `tool` messages. */
function toChatMessages(message: ChatMessage): unknown[] {
  if (message.role === 'assistant') {
    const text = message.content
      .filter((block): block is { type: 'text'; text: string } => block.type === 'text')
      .map((block) => block.text)
      .join('');
    const uses = message.content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
    return [
      {
        role: 'assistant',
        content: text === '' ? null : text,
        ...(uses.length === 0
          ? {}
          : {
              tool_calls: uses.map((use) => ({
                id: use.id,
                type: 'function',
                function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) },
              })),
            }),
      },
    ];
  }
  const results = message.content.filter((block): block is ToolResultBlock => block.type === 'tool_result');
  const texts = message.content
    .filter((block): block is { type: 'text'; text: string } => block.type === 'text')
    .map((block) => block.text);
  return [
    ...results.map((result) => ({
      role: 'tool',
      tool_call_id: result.tool_use_id,
      content: result.is_error === true ? `ERROR: ${result.content}` : result.content,
    })),
    ...(texts.length === 0 ? [] : [{ role: 'user', content: texts.join('\n\n') }]),
  ];
}
