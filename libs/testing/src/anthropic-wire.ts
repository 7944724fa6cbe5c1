import type { ApiErrorType, BlockSpec, StopReason } from './replies.js';
import { newSignature, newToolUseId } from './wire-ids.js';

/** A block as sent: tool_use ids and thinking signatures filled in. */
export type WireBlock =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly input: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'thinking'; readonly thinking: string; readonly signature: string };

export function resolveBlocks(
  content: readonly BlockSpec[],
  newId: () => string = newToolUseId,
): WireBlock[] {
  return content.map((block) => {
    if (block.type === 'tool_use')
      return { type: 'tool_use', id: block.id ?? newId(), name: block.name, input: block.input };
    if (block.type === 'thinking') {
      return { type: 'thinking', thinking: block.thinking, signature: block.signature ?? newSignature() };
    }
    return block;
  });
}

export interface WireUsage {
  readonly input_tokens: number;
  readonly cache_creation_input_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation: {
    readonly ephemeral_5m_input_tokens: number;
    readonly ephemeral_1h_input_tokens: number;
  };
  readonly output_tokens: number;
  readonly service_tier: 'standard';
}

export interface MessageParts {
  readonly id: string;
  readonly model: string;
  readonly content: readonly WireBlock[];
  readonly stopReason: StopReason;
  readonly stopSequence: string | null;
  readonly usage: WireUsage;
}

export function messageObject(parts: MessageParts): Record<string, unknown> {
  return {
    id: parts.id,
    type: 'message',
    role: 'assistant',
    model: parts.model,
    content: parts.content,
    stop_reason: parts.stopReason,
    stop_sequence: parts.stopSequence,
    usage: parts.usage,
  };
}

/** One serialized stream event, tagged with the content block it belongs to (null for message-level events). */
export interface WireEvent {
  readonly text: string;
  readonly block: number | null;
}

export function sseEvent(event: string, data: unknown, block: number | null = null): WireEvent {
  return { text: `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, block };
}

/**
 * Pieces of a string for streaming: at least `minSize` code points each, at most `maxPieces` pieces, so
 * huge outputs do not become thousands of events and tiny ones still arrive in more than one delta.
 */
export function splitForStreaming(
  value: string,
  options: { minSize?: number; maxPieces?: number; atLeast?: number } = {},
): string[] {
  const points = Array.from(value);
  if (points.length === 0) return [];
  const minSize = options.minSize ?? 16;
  const maxPieces = options.maxPieces ?? 64;
  let size = Math.max(minSize, Math.ceil(points.length / maxPieces));
  if (options.atLeast !== undefined && points.length >= options.atLeast) {
    size = Math.min(size, Math.ceil(points.length / options.atLeast));
  }
  const pieces: string[] = [];
  for (let start = 0; start < points.length; start += size)
    pieces.push(points.slice(start, start + size).join(''));
  return pieces;
}

/** The full event sequence the Messages API streams for one answer. */
export function messageEvents(parts: MessageParts): WireEvent[] {
  const events: WireEvent[] = [
    sseEvent('message_start', {
      type: 'message_start',
      message: {
        ...messageObject(parts),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...parts.usage, output_tokens: 1 },
      },
    }),
  ];
  parts.content.forEach((block, index) => {
    const delta = (payload: Record<string, unknown>): WireEvent =>
      sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: payload }, index);
    if (block.type === 'text') {
      events.push(
        sseEvent(
          'content_block_start',
          { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
          index,
        ),
      );
      if (index === 0) events.push(sseEvent('ping', { type: 'ping' }, index));
      for (const piece of splitForStreaming(block.text))
        events.push(delta({ type: 'text_delta', text: piece }));
    } else if (block.type === 'tool_use') {
      events.push(
        sseEvent(
          'content_block_start',
          {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
          },
          index,
        ),
      );
      if (index === 0) events.push(sseEvent('ping', { type: 'ping' }, index));
      events.push(delta({ type: 'input_json_delta', partial_json: '' }));
      for (const piece of splitForStreaming(JSON.stringify(block.input), { minSize: 8, atLeast: 3 })) {
        events.push(delta({ type: 'input_json_delta', partial_json: piece }));
      }
    } else {
      events.push(
        sseEvent(
          'content_block_start',
          {
            type: 'content_block_start',
            index,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          },
          index,
        ),
      );
      if (index === 0) events.push(sseEvent('ping', { type: 'ping' }, index));
      for (const piece of splitForStreaming(block.thinking))
        events.push(delta({ type: 'thinking_delta', thinking: piece }));
      events.push(delta({ type: 'signature_delta', signature: block.signature }));
    }
    events.push(sseEvent('content_block_stop', { type: 'content_block_stop', index }, index));
  });
  events.push(
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: parts.stopReason, stop_sequence: parts.stopSequence },
      usage: {
        input_tokens: parts.usage.input_tokens,
        cache_creation_input_tokens: parts.usage.cache_creation_input_tokens,
        cache_read_input_tokens: parts.usage.cache_read_input_tokens,
        output_tokens: parts.usage.output_tokens,
      },
    }),
  );
  events.push(sseEvent('message_stop', { type: 'message_stop' }));
  return events;
}

export function errorBody(
  errorType: ApiErrorType,
  message: string,
  requestId: string,
): Record<string, unknown> {
  return { type: 'error', error: { type: errorType, message }, request_id: requestId };
}

export function errorEvent(errorType: ApiErrorType, message: string, requestId: string): WireEvent {
  return sseEvent('error', errorBody(errorType, message, requestId));
}
