/** A model the server lists and whose limits it enforces. */
export interface ModelSpec {
  readonly id: string;
  readonly displayName?: string;
  /** RFC 3339 date-time. */
  readonly createdAt?: string;
  /** Context window: requests estimated above it are refused with "prompt is too long". */
  readonly maxInputTokens?: number | null;
  /** Largest accepted `max_tokens`. */
  readonly maxOutputTokens?: number | null;
}

export const DEFAULT_MODELS: readonly ModelSpec[] = [
  {
    id: 'claude-opus-4-7',
    displayName: 'Claude Opus 4.7',
    createdAt: '2026-04-16T00:00:00Z',
    maxInputTokens: 200_000,
    maxOutputTokens: 128_000,
  },
  {
    id: 'claude-sonnet-4-6',
    displayName: 'Claude Sonnet 4.6',
    createdAt: '2026-02-17T00:00:00Z',
    maxInputTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'claude-haiku-4-5',
    displayName: 'Claude Haiku 4.5',
    createdAt: '2025-10-15T00:00:00Z',
    maxInputTokens: 200_000,
    maxOutputTokens: 64_000,
  },
];

function lineOf(id: string): string | null {
  for (const line of ['haiku', 'sonnet', 'opus']) if (id.includes(line)) return line;
  return null;
}

/** The model object `GET /v1/models` and `GET /v1/models/:id` answer with. */
export function modelInfo(spec: ModelSpec): Record<string, unknown> {
  return {
    type: 'model',
    id: spec.id,
    display_name: spec.displayName ?? spec.id,
    created_at: spec.createdAt ?? '2026-01-01T00:00:00Z',
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: lineOf(spec.id),
    max_input_tokens: spec.maxInputTokens ?? null,
    max_tokens: spec.maxOutputTokens ?? null,
    retires_at: null,
  };
}

/** The same list as an OpenAI-compatible server's `GET /v1/models`. */
export function openaiModelInfo(spec: ModelSpec): Record<string, unknown> {
  return {
    id: spec.id,
    object: 'model',
    created: Math.floor(Date.parse(spec.createdAt ?? '2026-01-01T00:00:00Z') / 1000),
    owned_by: 'anthropic',
  };
}
