export { startTelemetry, MAX_QUEUED_SPANS, SERVICE_NAMESPACE } from './telemetry.js';
export { startServiceTelemetry } from './service-telemetry.js';
export type { TelemetryHandle, TelemetryOptions } from './telemetry.js';
export type { TelemetryLogger } from './diagnostics.js';
export {
  currentTraceId,
  ERROR_CODE_ATTRIBUTE,
  extractTraceContext,
  getMeter,
  getTracer,
  injectTraceHeaders,
  withSpan,
} from './spans.js';
export type { WithSpanOptions } from './spans.js';
export {
  CONTENT_ATTRIBUTE_KEYS,
  CONTENT_ATTRIBUTE_PREFIX,
  isContentAttribute,
  redactSecrets,
  REDACTED,
} from './redaction.js';
export { RedactingSpanProcessor } from './redacting-span-processor.js';
export { METRICS_HOST } from './metrics-server.js';
export { SpanKind, SpanStatusCode } from '@opentelemetry/api';
export type { Attributes, Context, Meter, Span, Tracer } from '@opentelemetry/api';
