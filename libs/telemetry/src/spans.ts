import {
  context,
  isSpanContextValid,
  metrics,
  propagation,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Exception,
  type Meter,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import { telemetryService } from './telemetry.js';

/** Attribute carrying a typed error's code (e.g. `NOT_FOUND`), so failures can be grouped without parsing messages. */
export const ERROR_CODE_ATTRIBUTE = 'steward.error.code';

function defaultScope(): { name: string; version: string | undefined } {
  const started = telemetryService();
  return started === undefined
    ? { name: '@steward/telemetry', version: undefined }
    : { name: `@steward/${started.service}`, version: started.version };
}

/** A tracer scoped `@steward/<service>` unless named. Safe before `startTelemetry` (spans are no-ops until then). */
export function getTracer(name?: string): Tracer {
  const scope = defaultScope();
  return trace.getTracer(name ?? scope.name, scope.version);
}

/** A meter scoped `@steward/<service>` unless named. Instruments created before `startTelemetry` stay no-ops. */
export function getMeter(name?: string): Meter {
  const scope = defaultScope();
  return metrics.getMeter(name ?? scope.name, scope.version);
}

export interface WithSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Context to parent the span on (e.g. from `extractTraceContext`); the active context otherwise. */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span. A throw records the exception, marks the span ERROR
 * (with `steward.error.code` when the error carries a string `code`) and is rethrown unchanged.
 */
export function withSpan<T>(
  name: string,
  options: WithSpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const spanOptions = {
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
  };
  return getTracer().startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function recordFailure(span: Span, error: unknown): void {
  span.recordException(toException(error));
  const code = errorCode(error);
  if (code !== undefined) {
    span.setAttribute(ERROR_CODE_ATTRIBUTE, code);
    span.setAttribute('error.type', code);
  } else {
    span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
  }
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code: unknown = error.code;
  return typeof code === 'string' ? code : undefined;
}

function toException(error: unknown): Exception {
  if (error instanceof Error) return error;
  if (typeof error === 'string') return error;
  return { message: String(error) };
}

/** Writes W3C `traceparent`/`tracestate` for the active context into `carrier` (unchanged when there is no active trace). */
export function injectTraceHeaders(carrier: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The context described by W3C headers in `carrier`, on top of the active one; the active context when none are valid. */
export function extractTraceContext(carrier: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), carrier);
}

/** Trace id of the active span, for error envelopes; undefined when no valid trace is active. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  return spanContext.traceId;
}
