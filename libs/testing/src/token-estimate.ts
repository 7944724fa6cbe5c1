import { createHash } from 'node:crypto';
import type { BlockSpec } from './replies.js';

/** Roughly four characters a token, the usual rule of thumb for English text and code. */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One cacheable unit of a prompt: a tool definition, a system block or a message content block. */
interface PromptSegment {
  readonly canonical: string;
  readonly tokens: number;
  readonly breakpoint: CacheTtl | null;
}

export type CacheTtl = '5m' | '1h';

function withoutCacheControl(block: Json): Json {
  const { cache_control: _ignored, ...rest } = block;
  return rest;
}

function ttlOf(block: Json): CacheTtl | null {
  const control = block['cache_control'];
  if (!isObject(control)) return null;
  return control['ttl'] === '1h' ? '1h' : '5m';
}

function blockSegment(prefix: string, block: unknown): PromptSegment {
  if (!isObject(block)) {
    const canonical = `${prefix}${JSON.stringify(block)}`;
    return { canonical, tokens: tokensForChars(canonical.length - prefix.length), breakpoint: null };
  }
  const counted =
    block['type'] === 'text' && typeof block['text'] === 'string'
      ? block['text'].length
      : JSON.stringify(withoutCacheControl(block)).length;
  return {
    canonical: `${prefix}${JSON.stringify(withoutCacheControl(block))}`,
    tokens: tokensForChars(counted),
    breakpoint: ttlOf(block),
  };
}

/** The prompt in the order the API caches it: tools, then system, then messages. */
function promptSegments(body: Json): PromptSegment[] {
  const segments: PromptSegment[] = [];
  const tools = body['tools'];
  if (Array.isArray(tools)) for (const tool of tools) segments.push(blockSegment('tool:', tool));
  const system = body['system'];
  if (typeof system === 'string' && system !== '') {
    segments.push({ canonical: `system:${system}`, tokens: tokensForChars(system.length), breakpoint: null });
  } else if (Array.isArray(system)) {
    for (const block of system) segments.push(blockSegment('system:', block));
  }
  const messages = body['messages'];
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (!isObject(message)) continue;
      const role = String(message['role']);
      const content = message['content'];
      if (typeof content === 'string') {
        segments.push({
          canonical: `${role}:${content}`,
          tokens: tokensForChars(content.length),
          breakpoint: null,
        });
      } else if (Array.isArray(content)) {
        for (const block of content) segments.push(blockSegment(`${role}:`, block));
      }
    }
  }
  // Top-level cache_control marks the last cacheable block, as if it were written there.
  const automatic = isObject(body['cache_control']) ? ttlOf(body) : null;
  const last = segments.at(-1);
  if (automatic && last) segments[segments.length - 1] = { ...last, breakpoint: automatic };
  return segments;
}

/** Input tokens for a Messages API request: system, messages and tools, about four characters a token. */
export function estimateInputTokens(body: Json): number {
  return Math.max(
    1,
    promptSegments(body).reduce((sum, segment) => sum + segment.tokens, 0),
  );
}

export function estimateOutputTokens(content: readonly BlockSpec[]): number {
  let chars = 0;
  for (const block of content) {
    if (block.type === 'text') chars += block.text.length;
    else if (block.type === 'thinking') chars += block.thinking.length;
    else chars += block.name.length + JSON.stringify(block.input).length;
  }
  return Math.max(1, tokensForChars(chars));
}

/** The number of cache_control breakpoints a request carries, top-level automatic caching included. */
export function countBreakpoints(body: Json): number {
  return promptSegments(body).filter((segment) => segment.breakpoint !== null).length;
}

export interface CacheFigures {
  readonly inputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly ephemeral5mInputTokens: number;
  readonly ephemeral1hInputTokens: number;
}

/** How far back from a breakpoint the API looks for an earlier cached prefix. */
const LOOKBACK_BLOCKS = 20;
const TTL_MS: Record<CacheTtl, number> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/**
 * Prompt caching as the API describes it: the prefix up to each cache_control breakpoint is cached;
 * a later request reads the longest cached prefix found at a breakpoint or up to 20 blocks before
 * one, and writes the rest up to its last breakpoint.
 */
export class PromptCache {
  readonly #entries = new Map<string, number>();

  constructor(private readonly minCacheableTokens: number) {}

  clear(): void {
    this.#entries.clear();
  }

  account(model: string, body: Json, now = Date.now()): CacheFigures {
    const segments = promptSegments(body);
    const total = Math.max(
      1,
      segments.reduce((sum, segment) => sum + segment.tokens, 0),
    );
    const breakpoints = segments.flatMap((segment, index) => (segment.breakpoint ? [index] : []));
    const lastBreakpoint = breakpoints.at(-1);
    if (lastBreakpoint === undefined) return noCache(total);

    const hashes: string[] = [];
    const prefixTokens: number[] = [];
    let hash = createHash('sha256').update(`model:${model}`).digest('hex');
    let running = 0;
    for (const segment of segments) {
      hash = createHash('sha256').update(hash).update('\u0000').update(segment.canonical).digest('hex');
      running += segment.tokens;
      hashes.push(hash);
      prefixTokens.push(running);
    }

    let readAt = -1;
    for (const breakpoint of breakpoints) {
      for (let index = breakpoint; index >= 0 && index > breakpoint - LOOKBACK_BLOCKS; index--) {
        if (index <= readAt) break;
        const expiresAt = this.#entries.get(hashes[index] ?? '');
        if (expiresAt !== undefined && expiresAt > now) {
          readAt = index;
          break;
        }
      }
    }
    const read = readAt >= 0 ? (prefixTokens[readAt] ?? 0) : 0;
    const lastPrefix = prefixTokens[lastBreakpoint] ?? 0;
    const cacheable = lastPrefix >= this.minCacheableTokens;
    const created = cacheable ? Math.max(0, lastPrefix - read) : 0;

    for (const breakpoint of breakpoints) {
      const ttl = segments[breakpoint]?.breakpoint ?? '5m';
      if ((prefixTokens[breakpoint] ?? 0) >= this.minCacheableTokens) {
        this.#entries.set(hashes[breakpoint] ?? '', now + TTL_MS[ttl]);
      }
    }
    if (readAt >= 0) {
      const ttl = segments[readAt]?.breakpoint ?? '5m';
      this.#entries.set(hashes[readAt] ?? '', now + TTL_MS[ttl]);
    }

    const lastTtl = segments[lastBreakpoint]?.breakpoint ?? '5m';
    return {
      inputTokens: Math.max(0, total - read - created),
      cacheCreationInputTokens: created,
      cacheReadInputTokens: read,
      ephemeral5mInputTokens: lastTtl === '5m' ? created : 0,
      ephemeral1hInputTokens: lastTtl === '1h' ? created : 0,
    };
  }
}

function noCache(total: number): CacheFigures {
  return {
    inputTokens: total,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: 0,
    ephemeral5mInputTokens: 0,
    ephemeral1hInputTokens: 0,
  };
}
