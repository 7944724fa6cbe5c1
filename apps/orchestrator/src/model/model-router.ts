import { StewardError } from '@steward/contracts';
import type { ModelProvider } from './model-types.js';

/**
 * Which provider serves a task's model: `anthropic:<model>` (or a bare model id, the default
 * provider), `openai:<model>` for the OpenAI-compatible endpoint when one is configured.
 */
export class ModelRouter {
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
