import type { TaskUsage } from '@steward/contracts';
import type { TokenUsage } from './model-types.js';

/** US dollars per million tokens. Cache writes cost 1.25x input, cache reads 0.1x (5-minute cache). */
interface Price {
  readonly input: number;
  readonly output: number;
}

/** Public list prices by model family; a model matches the longest prefix it starts with. */
const PRICES: ReadonlyArray<readonly [prefix: string, price: Price]> = [
  ['claude-opus-4-5', { input: 5, output: 25 }],
  ['claude-opus-4', { input: 15, output: 75 }],
  ['claude-3-opus', { input: 15, output: 75 }],
  ['claude-sonnet-4', { input: 3, output: 15 }],
  ['claude-3-7-sonnet', { input: 3, output: 15 }],
  ['claude-3-5-sonnet', { input: 3, output: 15 }],
  ['claude-haiku-4', { input: 1, output: 5 }],
  ['claude-3-5-haiku', { input: 0.8, output: 4 }],
  ['claude-3-haiku', { input: 0.25, output: 1.25 }],
];

function priceOf(model: string): Price | undefined {
  let best: readonly [string, Price] | undefined;
  for (const entry of PRICES) {
    if (model.startsWith(entry[0]) && (best === undefined || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/** What one turn cost; local and unknown models cost nothing we can know. */
export function costOf(model: string, usage: TokenUsage): number {
  const price = model.startsWith('anthropic:') ? priceOf(model.slice('anthropic:'.length)) : priceOf(model);
  if (price === undefined) return 0;
  const dollars =
    usage.inputTokens * price.input +
    usage.cacheWriteTokens * price.input * 1.25 +
    usage.cacheReadTokens * price.input * 0.1 +
    usage.outputTokens * price.output;
  return dollars / 1_000_000;
}

export function emptyUsage(): TaskUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    byModel: {},
  };
}

/** `total` with one turn of `model` added. */
export function addUsage(total: TaskUsage, model: string, turn: TokenUsage): TaskUsage {
  const cost = costOf(model, turn);
  const before = total.byModel[model] ?? { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const input = turn.inputTokens + turn.cacheReadTokens + turn.cacheWriteTokens;
  return {
    inputTokens: total.inputTokens + input,
    outputTokens: total.outputTokens + turn.outputTokens,
    cacheReadTokens: total.cacheReadTokens + turn.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens + turn.cacheWriteTokens,
    costUsd: total.costUsd + cost,
    byModel: {
      ...total.byModel,
      [model]: {
        inputTokens: before.inputTokens + input,
        outputTokens: before.outputTokens + turn.outputTokens,
        costUsd: before.costUsd + cost,
      },
    },
  };
}
