import { splitForStreaming, type WireBlock, type WireEvent } from './anthropic-wire.js';
import type { ApiErrorType, StopReason } from './replies.js';

export interface ChatParts {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly content: readonly WireBlock[];
  readonly stopReason: StopReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Whether the request asked for a final usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
}

function finishReason(stopReason: StopReason): string {
  switch (stopReason) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function usage(parts: ChatParts): Record<string, number> {
  return {
    prompt_tokens: parts.promptTokens,
    completion_tokens: parts.completionTokens,
    total_tokens: parts.promptTokens + parts.completionTokens,
  };
}

/** Thinking has no place in the chat completions format, so only text and tool calls are sent. */
export function chatCompletionObject(parts: ChatParts): Record<string, unknown> {
  const texts = parts.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
  const calls = parts.content.flatMap((block) =>
    block.type === 'tool_use'
      ? [
          {
            id: block.id,
            type: 'function',
            function: { name: block.name, arguments: JSON.stringify(block.input) },
          },
        ]
      : [],
  );
  return {
    id: parts.id,
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: texts.length > 0 ? texts.join('') : null,
          refusal: null,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(parts.stopReason),
      },
    ],
    usage: usage(parts),
  };
}

export function dataEvent(data: unknown, block: number | null = null): WireEvent {
  return { text: `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`, block };
}

export function chatCompletionChunks(parts: ChatParts): WireEvent[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
    id: parts.id,
    object: 'chat.completion.chunk',
    created: parts.created,
    model: parts.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events: WireEvent[] = [dataEvent(chunk({ role: 'assistant', content: '' }))];
  let callIndex = 0;
  parts.content.forEach((block, blockIndex) => {
    if (block.type === 'text') {
      for (const piece of splitForStreaming(block.text))
        events.push(dataEvent(chunk({ content: piece }), blockIndex));
    } else if (block.type === 'tool_use') {
      const index = callIndex++;
      events.push(
        dataEvent(
          chunk({
            tool_calls: [
              { index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
            ],
          }),
          blockIndex,
        ),
      );
      for (const piece of splitForStreaming(JSON.stringify(block.input), { minSize: 8, atLeast: 3 })) {
        events.push(
          dataEvent(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }), blockIndex),
        );
      }
    }
  });
  events.push(dataEvent(chunk({}, finishReason(parts.stopReason))));
  if (parts.includeUsage) {
    events.push(
      dataEvent({
        id: parts.id,
        object: 'chat.completion.chunk',
        created: parts.created,
        model: parts.model,
        choices: [],
        usage: usage(parts),
      }),
    );
  }
  events.push(dataEvent('[DONE]'));
  return events;
}

const OPENAI_ERROR: Partial<Record<ApiErrorType, { type: string; code: string | null }>> = {
  authentication_error: { type: 'invalid_request_error', code: 'invalid_api_key' },
  rate_limit_error: { type: 'requests', code: 'rate_limit_exceeded' },
  not_found_error: { type: 'invalid_request_error', code: 'model_not_found' },
};

export function chatErrorBody(
  errorType: ApiErrorType,
  message: string,
  param: string | null = null,
): Record<string, unknown> {
  const mapped = OPENAI_ERROR[errorType] ?? { type: errorType, code: null };
  return { error: { message, type: mapped.type, param, code: mapped.code } };
}
