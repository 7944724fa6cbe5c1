import { StewardError } from '@steward/contracts';
import { isToolUse, textOf, type ModelProvider } from './model-types.js';

/** How long a model's tool check is trusted. */
const CHECK_TTL_MS = 60 * 60_000;
const CHECK_TOOL = {
  name: 'report_ready',
  description: 'Reports that you are ready. Call it with ready set to true.',
  input_schema: {
    type: 'object',
    properties: { ready: { type: 'boolean' } },
    required: ['ready'],
    additionalProperties: false,
  },
};

export interface ToolCheck {
  readonly model: string;
  readonly toolUse: boolean;
  readonly detail: string;
}

/**
 * Which provider serves a task's model: `anthropic:<model>` (or a bare model id, the default
 * provider), `openai:<model>` for the OpenAI-compatible endpoint when one is configured.
 */
export class ModelRouter {
  private readonly checks = new Map<string, { at: number; result: Promise<ToolCheck> }>();

  constructor(
    private readonly providers: ReadonlyMap<string, ModelProvider>,
    private readonly defaultProvider = 'anthropic',
  ) {}

  /** A task's model as stored: always with its provider. */
  normalize(ref: string): string {
    const { provider, model } = split(ref, this.defaultProvider);
    if (!this.providers.has(provider)) {
      throw new StewardError(
        'INVALID_INPUT',
        `there is no model provider "${provider}" here; the providers are: ${[...this.providers.keys()].join(', ')}`,
      );
    }
    return `${provider}:${model}`;
  }

  resolve(ref: string): { provider: ModelProvider; model: string } {
    const { provider, model } = split(ref, this.defaultProvider);
    const found = this.providers.get(provider);
    if (found === undefined) {
      throw new StewardError('UNAVAILABLE', `the model provider "${provider}" is not configured`, {
        retryable: false,
      });
    }
    return { provider: found, model };
  }

  /**
   * Whether a model can call tools: one small request that needs a tool call, answered with it.
   * Local models often cannot, and a task on one would only ever talk. Cached for an hour;
   * failures to reach the model are not cached.
   */
  checkTools(ref: string): Promise<ToolCheck> {
    const model = this.normalize(ref);
    const cached = this.checks.get(model);
    if (cached !== undefined && Date.now() - cached.at < CHECK_TTL_MS) return cached.result;
    const result = this.runCheck(model);
    this.checks.set(model, { at: Date.now(), result });
    result.catch(() => this.checks.delete(model));
    return result;
  }

  private async runCheck(model: string): Promise<ToolCheck> {
    const { provider, model: id } = this.resolve(model);
    const reply = await provider.complete({
      model: id,
      system: 'You are checking that tool calls work. Call the report_ready tool.',
      tools: [CHECK_TOOL],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Are you ready? Use the tool.' }] }],
      maxTokens: 256,
      forceTool: CHECK_TOOL.name,
      signal: AbortSignal.timeout(90_000),
    });
    const call = reply.content.filter(isToolUse).find((block) => block.name === CHECK_TOOL.name);
    if (call !== undefined) return { model, toolUse: true, detail: 'the model called the check tool' };
    const said = textOf(reply.content).trim().slice(0, 200);
    return {
      model,
      toolUse: false,
      detail: `the model answered without calling the tool${said === '' ? '' : `: "${said}"`}`,
    };
  }

  names(): string[] {
    return [...this.providers.keys()];
  }
}

function split(ref: string, fallback: string): { provider: string; model: string } {
  const at = ref.indexOf(':');
  return at <= 0
    ? { provider: fallback, model: ref }
    : { provider: ref.slice(0, at), model: ref.slice(at + 1) };
}
