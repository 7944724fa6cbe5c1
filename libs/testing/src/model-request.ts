import { isObject } from './request-validation.js';

export type ModelApi = 'anthropic' | 'openai';

/** A tool result the caller sent back, flattened to text. */
export interface ToolResultView {
  readonly toolUseId: string;
  readonly content: string;
  readonly isError: boolean;
}

/** What a reply handler sees: the request as sent, plus the parts tests usually react to. */
export interface ModelRequest {
  readonly api: ModelApi;
  /** Position in `ModelServer.requests`. */
  readonly index: number;
  readonly model: string;
  readonly stream: boolean;
  /** The parsed JSON body exactly as sent (Anthropic Messages or OpenAI chat completions shape). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  /** System prompt text, blocks joined with blank lines. */
  readonly system: string;
  readonly toolNames: readonly string[];
  readonly messageCount: number;
  /** Text of the last user message (tool results excluded). */
  readonly lastUserText: string;
  /** Tool results in the last user turn (Anthropic) or after the last assistant message (OpenAI). */
  readonly toolResults: readonly ToolResultView[];
}

function flattenText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .flatMap((block) => {
      if (!isObject(block)) return [];
      if (typeof block['text'] === 'string') return [block['text']];
      return [`[${String(block['type'])}]`];
    })
    .join('\n');
}

function anthropicView(
  body: Record<string, unknown>,
): Omit<ModelRequest, 'api' | 'index' | 'stream' | 'body' | 'headers'> {
  const system = body['system'];
  const messages = Array.isArray(body['messages']) ? body['messages'].filter(isObject) : [];
  const lastUser = messages.filter((message) => message['role'] === 'user').at(-1);
  const lastContent = lastUser?.['content'];
  const blocks = Array.isArray(lastContent) ? lastContent.filter(isObject) : [];
  return {
    model: String(body['model']),
    system: Array.isArray(system)
      ? system
          .filter(isObject)
          .map((block) => String(block['text'] ?? ''))
          .join('\n\n')
      : flattenText(system),
    toolNames: Array.isArray(body['tools'])
      ? body['tools'].filter(isObject).map((tool) => String(tool['name']))
      : [],
    messageCount: messages.length,
    lastUserText:
      typeof lastContent === 'string'
        ? lastContent
        : blocks
            .filter((block) => block['type'] === 'text')
            .map((block) => String(block['text']))
            .join('\n'),
    toolResults: blocks
      .filter((block) => block['type'] === 'tool_result')
      .map((block) => ({
        toolUseId: String(block['tool_use_id']),
        content: flattenText(block['content']),
        isError: block['is_error'] === true,
      })),
  };
}

function openaiView(
  body: Record<string, unknown>,
): Omit<ModelRequest, 'api' | 'index' | 'stream' | 'body' | 'headers'> {
  const messages = Array.isArray(body['messages']) ? body['messages'].filter(isObject) : [];
  const lastAssistant = messages.map((message) => message['role']).lastIndexOf('assistant');
  const lastUser = messages.filter((message) => message['role'] === 'user').at(-1);
  return {
    model: String(body['model']),
    system: messages
      .filter((message) => message['role'] === 'system' || message['role'] === 'developer')
      .map((message) => flattenText(message['content']))
      .join('\n\n'),
    toolNames: Array.isArray(body['tools'])
      ? body['tools']
          .filter(isObject)
          .map((tool) => String(isObject(tool['function']) ? tool['function']['name'] : ''))
      : [],
    messageCount: messages.length,
    lastUserText: flattenText(lastUser?.['content']),
    toolResults: messages
      .slice(lastAssistant + 1)
      .filter((message) => message['role'] === 'tool')
      .map((message) => ({
        toolUseId: String(message['tool_call_id']),
        content: flattenText(message['content']),
        isError: false,
      })),
  };
}

export function modelRequest(
  api: ModelApi,
  index: number,
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string>>,
): ModelRequest {
  const view = api === 'anthropic' ? anthropicView(body) : openaiView(body);
  return { api, index, stream: body['stream'] === true, body, headers, ...view };
}
