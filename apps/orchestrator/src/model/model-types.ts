/*
 * The conversation as the orchestrator keeps it: the Messages API's own shapes (other providers
 * translate), so what is persisted can be sent again byte for byte after a restart.
 */

export interface TextBlock {
  readonly type: 'text';
  readonly text: string;
}

export interface ToolUseBlock {
  readonly type: 'tool_use';
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

export interface ToolResultBlock {
  readonly type: 'tool_result';
  readonly tool_use_id: string;
  readonly content: string;
  readonly is_error?: boolean;
}

/** Blocks the orchestrator does not interpret (thinking, …) are kept and sent back as they came. */
export interface OtherBlock {
  readonly type: string;
  readonly [field: string]: unknown;
}

export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock | OtherBlock;

export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly content: readonly ContentBlock[];
}

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly input_schema: Record<string, unknown>;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

export interface RetryNotice {
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

export interface ModelRequest {
  /** The provider's own model id (without the `provider:` prefix). */
  readonly model: string;
  readonly system: string;
  readonly tools: readonly ToolSpec[];
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  /** Makes the model call this tool (the tool check); otherwise it chooses. */
  readonly forceTool?: string | undefined;
  readonly signal: AbortSignal;
  /** Streamed text as it arrives; `restart` after a retry, so partial text can be dropped. */
  readonly onText?: (delta: string) => void;
  readonly onRetry?: (notice: RetryNotice) => void;
}

export interface ModelReply {
  readonly content: readonly ContentBlock[];
  readonly stopReason: string;
  readonly usage: TokenUsage;
}

export interface ModelProvider {
  readonly name: string;
  complete(request: ModelRequest): Promise<ModelReply>;
}

export function isToolUse(block: ContentBlock): block is ToolUseBlock {
  return block.type === 'tool_use';
}

export function isText(block: ContentBlock): block is TextBlock {
  return block.type === 'text';
}

export function textOf(content: readonly ContentBlock[]): string {
  return content
    .filter(isText)
    .map((block) => block.text)
    .join('');
}
