import type { AttributeValue, Attributes, Link, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * Attribute keys that carry prompts, model output, tool arguments/results or file contents.
 * They leave the process only when policy turns content capture on (THREATS: "ui and telemetry").
 */
export const CONTENT_ATTRIBUTE_KEYS: readonly string[] = [
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
];

/** Every key under this prefix is content by definition, so new content attributes are covered without a list change. */
export const CONTENT_ATTRIBUTE_PREFIX = 'steward.content.';

const CONTENT_KEY_SET: ReadonlySet<string> = new Set(CONTENT_ATTRIBUTE_KEYS);

export function isContentAttribute(key: string): boolean {
  if (CONTENT_KEY_SET.has(key)) return true;
  if (key.startsWith(CONTENT_ATTRIBUTE_PREFIX)) return true;
  // `gen_ai.prompt.0.content` and `gen_ai.completion.3.content` are the older indexed forms of the same content.
  return key.startsWith('gen_ai.prompt.') || key.startsWith('gen_ai.completion.');
}

export const REDACTED = '[REDACTED]';

// Each pattern matches the secret itself, so the text around it (which usually explains what failed) survives.
const SECRET_PATTERNS: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]+/g,
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

// Matched against the last dot-separated segment, so `gen_ai.usage.input_tokens` is not mistaken for a token.
const SECRET_KEY_SEGMENT =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|client[_-]?secret|api[_-]?key|x-api-key|access[_-]?token|refresh[_-]?token|auth[_-]?token|private[_-]?key)$/i;

/** `value` with every secret-shaped substring replaced by `[REDACTED]`. */
export function redactSecrets(value: string): string {
  let result = value;
  for (const pattern of SECRET_PATTERNS) {
    pattern.lastIndex = 0;
    result = result.replace(pattern, REDACTED);
  }
  return result;
}

function isSecretKey(key: string): boolean {
  const lastSegment = key.slice(key.lastIndexOf('.') + 1);
  return SECRET_KEY_SEGMENT.test(lastSegment);
}

function redactValue(key: string, value: AttributeValue): AttributeValue {
  if (isSecretKey(key)) return REDACTED;
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value) && value.some((item) => typeof item === 'string')) {
    return (value as readonly (string | null | undefined)[]).map((item) =>
      typeof item === 'string' ? redactSecrets(item) : item,
    ) as AttributeValue;
  }
  return value;
}

export interface SanitizedAttributes {
  attributes: Attributes;
  dropped: number;
  changed: boolean;
}

/** Drops content attributes (unless `captureContent`) and redacts secret-shaped values (always). */
export function sanitizeAttributes(attributes: Attributes, captureContent: boolean): SanitizedAttributes {
  const result: Attributes = {};
  let dropped = 0;
  let changed = false;
  for (const [key, value] of Object.entries(attributes)) {
    if (!captureContent && isContentAttribute(key)) {
      dropped += 1;
      changed = true;
      continue;
    }
    if (value === undefined) {
      result[key] = value;
      continue;
    }
    const redacted = redactValue(key, value);
    if (!sameValue(redacted, value)) changed = true;
    result[key] = redacted;
  }
  return { attributes: changed ? result : attributes, dropped, changed };
}

function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((item, index) => item === b[index]);
}

function sanitizeEvents(
  events: TimedEvent[],
  captureContent: boolean,
): { events: TimedEvent[]; changed: boolean } {
  let changed = false;
  const sanitized = events.map((event) => {
    const name = redactSecrets(event.name);
    const attributes = event.attributes ? sanitizeAttributes(event.attributes, captureContent) : undefined;
    if (name === event.name && !attributes?.changed) return event;
    changed = true;
    return {
      ...event,
      name,
      attributes: attributes?.attributes,
      droppedAttributesCount: (event.droppedAttributesCount ?? 0) + (attributes?.dropped ?? 0),
    };
  });
  return { events: changed ? sanitized : events, changed };
}

function sanitizeLinks(links: Link[], captureContent: boolean): { links: Link[]; changed: boolean } {
  let changed = false;
  const sanitized = links.map((link) => {
    if (!link.attributes) return link;
    const attributes = sanitizeAttributes(link.attributes, captureContent);
    if (!attributes.changed) return link;
    changed = true;
    return {
      ...link,
      attributes: attributes.attributes,
      droppedAttributesCount: (link.droppedAttributesCount ?? 0) + attributes.dropped,
    };
  });
  return { links: changed ? sanitized : links, changed };
}

function sanitizeStatus(status: SpanStatus): SpanStatus {
  if (status.message === undefined) return status;
  const message = redactSecrets(status.message);
  return message === status.message ? status : { ...status, message };
}

/**
 * A copy of `span` that is safe to export. Ended SDK spans ignore `setAttribute`, so redaction
 * builds a new read-only view instead of mutating the span the application still holds.
 */
export function sanitizeSpan(span: ReadableSpan, captureContent: boolean): ReadableSpan {
  const attributes = sanitizeAttributes(span.attributes, captureContent);
  const events = sanitizeEvents(span.events, captureContent);
  const links = sanitizeLinks(span.links, captureContent);
  const status = sanitizeStatus(span.status);
  const name = redactSecrets(span.name);
  if (
    !attributes.changed &&
    !events.changed &&
    !links.changed &&
    status === span.status &&
    name === span.name
  ) {
    return span;
  }
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes: attributes.attributes,
    links: links.links,
    events: events.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount + attributes.dropped,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
