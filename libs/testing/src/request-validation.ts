import { type ApiErrorType } from './replies.js';
import { countBreakpoints } from './token-estimate.js';

/** A request the real service would refuse, with the status, type and wording it would use. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorType: ApiErrorType,
    message: string,
    /** For the OpenAI-compatible endpoint, the request field the error is about. */
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (message: string, param: string | null = null): ApiFailure =>
  new ApiFailure(400, 'invalid_request_error', message, param);

const CREATE_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'cache_control',
  'container',
  'context_management',
  'diagnostics',
  'inference_geo',
  'mcp_servers',
  'metadata',
  'output_config',
  'service_tier',
  'speed',
  'stop_sequences',
  'stream',
  'system',
  'temperature',
  'thinking',
  'tool_choice',
  'tools',
  'top_k',
  'top_p',
]);

const COUNT_TOKENS_FIELDS = new Set([
  'model',
  'messages',
  'cache_control',
  'context_management',
  'mcp_servers',
  'output_config',
  'speed',
  'system',
  'thinking',
  'tool_choice',
  'tools',
]);

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_USE_ID = /^[a-zA-Z0-9_-]+$/;
const MAX_CACHE_BREAKPOINTS = 4;

export interface ModelLimits {
  readonly maxOutputTokens: number | null;
}

export type MessagesEndpoint = 'create' | 'count_tokens';

export interface MessagesValidationOptions {
  readonly endpoint: MessagesEndpoint;
  /** Consecutive user (or assistant) messages are refused rather than merged into one turn. */
  readonly strictAlternation: boolean;
  /** Limits of the requested model when the server knows it. */
  readonly limits: ModelLimits | null;
}

interface Turn {
  readonly role: 'user' | 'assistant';
  /** Index of the turn's first message, which is what error messages name. */
  readonly firstIndex: number;
  readonly blocks: readonly { readonly block: Json; readonly path: string }[];
}

/** Throws the ApiFailure the Messages API would answer for this body, or returns when it is acceptable. */
export function validateMessagesBody(
  body: unknown,
  options: MessagesValidationOptions,
): asserts body is Json {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  const allowed = options.endpoint === 'create' ? CREATE_FIELDS : COUNT_TOKENS_FIELDS;
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) throw invalid(`${key}: Extra inputs are not permitted`);
  }

  const model = body['model'];
  if (model === undefined) throw invalid('model: Field required');
  if (typeof model !== 'string' || model === '') throw invalid('model: Input should be a valid string');

  if (options.endpoint === 'create') validateMaxTokens(body, model, options.limits);
  if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean') {
    throw invalid('stream: Input should be a valid boolean');
  }

  validateSystem(body['system']);
  const toolNames = validateTools(body['tools']);
  validateToolChoice(body['tool_choice'], toolNames);
  validateThinking(body);
  const turns = validateMessages(body['messages'], options.strictAlternation);
  validateToolPairing(turns);

  const breakpoints = countBreakpoints(body);
  if (breakpoints > MAX_CACHE_BREAKPOINTS) {
    throw invalid(
      `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`,
    );
  }
}

function validateMaxTokens(body: Json, model: string, limits: ModelLimits | null): void {
  const maxTokens = body['max_tokens'];
  if (maxTokens === undefined) throw invalid('max_tokens: Field required');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) {
    throw invalid('max_tokens: Input should be a valid integer');
  }
  if (maxTokens < 0) throw invalid('max_tokens: Input should be greater than or equal to 0');
  if (limits?.maxOutputTokens != null && maxTokens > limits.maxOutputTokens) {
    throw invalid(
      `max_tokens: ${maxTokens} > ${limits.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model}`,
    );
  }
}

function validateThinking(body: Json): void {
  const thinking = body['thinking'];
  if (thinking === undefined) return;
  if (!isObject(thinking) || typeof thinking['type'] !== 'string') {
    throw invalid('thinking.type: Field required');
  }
  if (thinking['type'] !== 'enabled') return;
  const budget = thinking['budget_tokens'];
  if (typeof budget !== 'number' || !Number.isInteger(budget)) {
    throw invalid('thinking.enabled.budget_tokens: Field required');
  }
  if (budget < 1024)
    throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  const maxTokens = body['max_tokens'];
  if (typeof maxTokens === 'number' && maxTokens <= budget) {
    throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`.');
  }
}

function validateSystem(system: unknown): void {
  if (system === undefined || typeof system === 'string') return;
  if (!Array.isArray(system)) throw invalid('system: Input should be a valid string or list');
  system.forEach((block, index) => validateTextBlock(block, `system.${index}`));
}

function validateTextBlock(block: unknown, path: string): void {
  if (!isObject(block)) throw invalid(`${path}: Input should be a valid dictionary`);
  if (block['type'] !== 'text') throw invalid(`${path}.type: Input should be 'text'`);
  if (typeof block['text'] !== 'string') throw invalid(`${path}.text: Field required`);
  if (block['text'] === '') {
    if (block['cache_control'] !== undefined) {
      throw invalid(`${path}.text: cache_control cannot be set for empty text blocks`);
    }
    throw invalid(`${path.split('.')[0] ?? path}: text content blocks must be non-empty`);
  }
}

function validateTools(tools: unknown): ReadonlySet<string> {
  const names = new Set<string>();
  if (tools === undefined) return names;
  if (!Array.isArray(tools)) throw invalid('tools: Input should be a valid list');
  tools.forEach((tool, index) => {
    const path = `tools.${index}`;
    if (!isObject(tool)) throw invalid(`${path}: Input should be a valid dictionary`);
    const type = tool['type'];
    // Server and built-in client tools (web_search_…, bash_…, text_editor_…) carry no input_schema.
    const custom = type === undefined || type === null || type === 'custom';
    const name = tool['name'];
    if (typeof name !== 'string') throw invalid(`${path}${custom ? '.custom' : ''}.name: Field required`);
    if (custom) {
      if (!TOOL_NAME.test(name)) {
        throw invalid(`${path}.custom.name: String should match pattern '${TOOL_NAME.source}'`);
      }
      const schema = tool['input_schema'];
      if (schema === undefined) throw invalid(`${path}.custom.input_schema: Field required`);
      if (!isObject(schema)) throw invalid(`${path}.custom.input_schema: Input should be a valid dictionary`);
      if (schema['type'] !== 'object')
        throw invalid(`${path}.custom.input_schema.type: Input should be 'object'`);
      if (schema['properties'] !== undefined && !isObject(schema['properties'])) {
        throw invalid(`${path}.custom.input_schema.properties: Input should be a valid dictionary`);
      }
    }
    if (names.has(name)) throw invalid('tools: Tool names must be unique.');
    names.add(name);
  });
  return names;
}

function validateToolChoice(choice: unknown, toolNames: ReadonlySet<string>): void {
  if (choice === undefined) return;
  if (!isObject(choice) || typeof choice['type'] !== 'string')
    throw invalid('tool_choice.type: Field required');
  if (choice['type'] === 'none') return;
  if (toolNames.size === 0) throw invalid('tool_choice may only be specified while providing tools.');
  if (choice['type'] === 'tool') {
    const name = choice['name'];
    if (typeof name !== 'string') throw invalid('tool_choice.tool.name: Field required');
    if (!toolNames.has(name))
      throw invalid(`tool_choice.tool.name: Tool '${name}' not found in provided tools`);
  }
}

function hasContent(content: unknown): boolean {
  return typeof content === 'string' ? content !== '' : Array.isArray(content) && content.length > 0;
}

function validateMessages(messages: unknown, strictAlternation: boolean): Turn[] {
  if (messages === undefined) throw invalid('messages: Field required');
  if (!Array.isArray(messages)) throw invalid('messages: Input should be a valid list');
  if (messages.length === 0) throw invalid('messages: at least one message is required');

  const turns: Turn[] = [];
  const seenToolUseIds = new Set<string>();
  messages.forEach((message, index) => {
    const path = `messages.${index}`;
    if (!isObject(message)) throw invalid(`${path}: Input should be a valid dictionary`);
    const role = message['role'];
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      throw invalid(`${path}.role: Input should be 'user', 'assistant' or 'system'`);
    }
    const content = message['content'];
    if (content === undefined) throw invalid(`${path}.content: Field required`);
    if (typeof content !== 'string' && !Array.isArray(content)) {
      throw invalid(`${path}.content: Input should be a valid string or list`);
    }
    const isFinalAssistant = index === messages.length - 1 && role === 'assistant';
    if (!hasContent(content) && !isFinalAssistant) {
      throw invalid(
        `${path}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    if (role === 'system') {
      if (index === 0) throw invalid('messages: first message must use the "user" role');
      if (Array.isArray(content))
        content.forEach((block, j) => validateTextBlock(block, `${path}.content.${j}`));
      return;
    }
    if (index === 0 && role !== 'user') throw invalid('messages: first message must use the "user" role');

    const blocks: { block: Json; path: string }[] = [];
    if (Array.isArray(content)) {
      content.forEach((block, j) => {
        const blockPath = `${path}.content.${j}`;
        validateContentBlock(block, blockPath, role, seenToolUseIds);
        blocks.push({ block: block as Json, path: blockPath });
      });
    }
    const lastBlock: unknown = Array.isArray(content) ? content.at(-1) : undefined;
    const finalText =
      typeof content === 'string' ? content : isObject(lastBlock) ? lastBlock['text'] : undefined;
    if (isFinalAssistant && typeof finalText === 'string' && finalText !== finalText.trimEnd()) {
      throw invalid('final assistant content cannot end with trailing whitespace');
    }

    const previous = turns.at(-1);
    if (previous?.role === role) {
      if (strictAlternation) {
        throw invalid(
          `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`,
        );
      }
      turns[turns.length - 1] = { ...previous, blocks: [...previous.blocks, ...blocks] };
    } else {
      turns.push({ role, firstIndex: index, blocks });
    }
  });
  return turns;
}

function validateContentBlock(
  block: unknown,
  path: string,
  role: 'user' | 'assistant',
  seenIds: Set<string>,
): void {
  if (!isObject(block)) throw invalid(`${path}: Input should be a valid dictionary`);
  const type = block['type'];
  if (typeof type !== 'string') throw invalid(`${path}.type: Field required`);
  if (type === 'text') {
    validateTextBlock(block, path);
    return;
  }
  if (type === 'tool_use') {
    if (role !== 'assistant')
      throw invalid(`${path}: \`tool_use\` blocks can only be in \`assistant\` messages`);
    const id = block['id'];
    if (typeof id !== 'string') throw invalid(`${path}.tool_use.id: Field required`);
    if (!TOOL_USE_ID.test(id))
      throw invalid(`${path}.tool_use.id: String should match pattern '${TOOL_USE_ID.source}'`);
    if (seenIds.has(id)) throw invalid(`${path}: \`tool_use\` ids must be unique`);
    seenIds.add(id);
    if (typeof block['name'] !== 'string') throw invalid(`${path}.tool_use.name: Field required`);
    if (!isObject(block['input']))
      throw invalid(`${path}.tool_use.input: Input should be a valid dictionary`);
    return;
  }
  if (type === 'tool_result') {
    if (role !== 'user') throw invalid(`${path}: \`tool_result\` blocks can only be in \`user\` messages`);
    if (typeof block['tool_use_id'] !== 'string')
      throw invalid(`${path}.tool_result.tool_use_id: Field required`);
    const content = block['content'];
    if (content !== undefined && typeof content !== 'string' && !Array.isArray(content)) {
      throw invalid(`${path}.tool_result.content: Input should be a valid string or list`);
    }
    if (block['is_error'] !== undefined && typeof block['is_error'] !== 'boolean') {
      throw invalid(`${path}.tool_result.is_error: Input should be a valid boolean`);
    }
  }
}

function validateToolPairing(turns: readonly Turn[]): void {
  turns.forEach((turn, index) => {
    if (turn.role !== 'user') return;
    const previous = turns[index - 1];
    const offered = new Set(
      (previous?.role === 'assistant' ? previous.blocks : [])
        .filter(({ block }) => block['type'] === 'tool_use')
        .map(({ block }) => String(block['id'])),
    );
    let seenOther = false;
    for (const { block, path } of turn.blocks) {
      if (block['type'] !== 'tool_result') {
        seenOther = true;
        continue;
      }
      const id = String(block['tool_use_id']);
      if (!offered.has(id)) {
        throw invalid(
          `${path}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
      if (seenOther) {
        throw invalid(
          `${path}: \`tool_result\` blocks must come before any other content in a message that answers \`tool_use\` blocks`,
        );
      }
    }
  });

  turns.forEach((turn, index) => {
    if (turn.role !== 'assistant') return;
    const uses = turn.blocks
      .filter(({ block }) => block['type'] === 'tool_use')
      .map(({ block }) => String(block['id']));
    if (uses.length === 0) return;
    const next = turns[index + 1];
    const answered = new Set(
      (next?.blocks ?? [])
        .filter(({ block }) => block['type'] === 'tool_result')
        .map(({ block }) => String(block['tool_use_id'])),
    );
    const missing = uses.filter((id) => !answered.has(id));
    if (missing.length > 0) {
      throw invalid(
        `messages.${turn.firstIndex}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
}

/** Throws the error an OpenAI-compatible server would answer for this chat completion body. */
export function validateChatBody(body: unknown): asserts body is Json {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  if (typeof body['model'] !== 'string' || body['model'] === '') {
    throw invalid('you must provide a model parameter', 'model');
  }
  const messages = body['messages'];
  if (!Array.isArray(messages)) throw invalid("Missing required parameter: 'messages'.", 'messages');
  if (messages.length === 0)
    throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages');
  if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean') {
    throw invalid("Invalid type for 'stream': expected a boolean.", 'stream');
  }

  const tools = body['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) throw invalid("Invalid type for 'tools': expected an array.", 'tools');
    tools.forEach((tool, index) => {
      const fn = isObject(tool) ? tool['function'] : undefined;
      if (!isObject(tool) || tool['type'] !== 'function' || !isObject(fn) || typeof fn['name'] !== 'string') {
        throw invalid(`Missing required parameter: 'tools[${index}].function'.`, `tools[${index}].function`);
      }
      const parameters = fn['parameters'];
      if (parameters !== undefined && (!isObject(parameters) || parameters['type'] !== 'object')) {
        throw invalid(
          `Invalid schema for function '${fn['name']}': schema must be a JSON Schema of 'type: "object"'.`,
          `tools[${index}].function.parameters`,
        );
      }
    });
  }

  let pending: string[] = [];
  let pendingFrom = -1;
  messages.forEach((message, index) => {
    if (!isObject(message))
      throw invalid(`Invalid type for 'messages[${index}]': expected an object.`, `messages.[${index}]`);
    const role = message['role'];
    if (!['system', 'developer', 'user', 'assistant', 'tool'].includes(String(role))) {
      throw invalid(
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`,
        `messages.[${index}].role`,
      );
    }
    if (role === 'tool') {
      const id = message['tool_call_id'];
      if (typeof id !== 'string' || !pending.includes(id)) {
        throw invalid(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${index}].role`,
        );
      }
      pending = pending.filter((waiting) => waiting !== id);
      return;
    }
    if (pending.length > 0) {
      throw invalid(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`,
        `messages.[${pendingFrom}].role`,
      );
    }
    if (role === 'assistant' && Array.isArray(message['tool_calls'])) {
      pending = message['tool_calls'].map((call) => String(isObject(call) ? call['id'] : call));
      pendingFrom = index;
    }
  });
  if (pending.length > 0) {
    throw invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`,
      `messages.[${pendingFrom}].role`,
    );
  }
}
