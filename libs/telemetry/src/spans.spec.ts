import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { StewardError } from '@steward/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import {
  currentTraceId,
  ERROR_CODE_ATTRIBUTE,
  extractTraceContext,
  injectTraceHeaders,
  withSpan,
} from './spans.js';
import { startTelemetry } from './telemetry.js';

const warnings: string[] = [];
const handle = startTelemetry({
  service: 'orchestrator',
  version: '0.0.0-test',
  metricsPort: null,
  logger: { warn: (message) => warnings.push(message) },
});

afterAll(() => handle.shutdown());

/** The SDK span handed to `fn` is also its readable record; reading it back is how the test sees what would be exported. */
function readable(span: Span | undefined): ReadableSpan {
  if (span === undefined) throw new Error('withSpan never called fn');
  return span as unknown as ReadableSpan;
}

describe('withSpan', () => {
  it('returns the result and ends an unset-status span', async () => {
    let seen: Span | undefined;
    const result = await withSpan('fs.file.read', { attributes: { 'steward.path.depth': 2 } }, (span) => {
      seen = span;
      return 'ok';
    });

    expect(result).toBe('ok');
    expect(readable(seen).ended).toBe(true);
    expect(readable(seen).status.code).toBe(SpanStatusCode.UNSET);
    expect(readable(seen).attributes['steward.path.depth']).toBe(2);
  });

  it('marks the span ERROR, records the exception and the typed error code, and rethrows', async () => {
    let seen: Span | undefined;
    const failure = new StewardError('NOT_FOUND', 'no such file');

    await expect(
      withSpan('fs.file.read', {}, async (span) => {
        seen = span;
        await Promise.resolve();
        throw failure;
      }),
    ).rejects.toBe(failure);

    const span = readable(seen);
    expect(span.ended).toBe(true);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such file' });
    expect(span.attributes[ERROR_CODE_ATTRIBUTE]).toBe('NOT_FOUND');
    expect(span.events.map((event) => event.name)).toContain('exception');
  });

  it('marks the span ERROR without a code attribute when the thrown value has no string code', async () => {
    let seen: Span | undefined;
    await expect(
      withSpan('x', {}, (span) => {
        seen = span;
        throw Object.assign(new Error('boom'), { code: 42 });
      }),
    ).rejects.toThrow('boom');

    expect(readable(seen).status.code).toBe(SpanStatusCode.ERROR);
    expect(readable(seen).attributes[ERROR_CODE_ATTRIBUTE]).toBeUndefined();
  });

  it('parents the span on an explicit context', async () => {
    const parentTraceId = '0af7651916cd43dd8448eb211c80319c';
    const parent = extractTraceContext({ traceparent: `00-${parentTraceId}-b7ad6b7169203331-01` });

    const traceId = await withSpan('child', { parent }, (span) => span.spanContext().traceId);

    expect(traceId).toBe(parentTraceId);
  });
});

describe('trace context propagation', () => {
  it('round-trips the active trace id through traceparent headers', async () => {
    const { headers, traceId } = await withSpan('orchestrator.task.run', {}, (span) => ({
      headers: injectTraceHeaders({}),
      traceId: span.spanContext().traceId,
    }));

    expect(headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const extracted = trace.getSpanContext(extractTraceContext(headers));
    expect(extracted?.traceId).toBe(traceId);
    expect(extracted?.isRemote).toBe(true);
  });

  it('carries tracestate along with traceparent', () => {
    const context = extractTraceContext({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=abc',
    });

    expect(trace.getSpanContext(context)?.traceState?.get('vendor')).toBe('abc');
  });

  it('ignores a malformed traceparent', () => {
    const context = extractTraceContext({ traceparent: 'not-a-traceparent', tracestate: undefined });

    expect(trace.getSpanContext(context)).toBeUndefined();
  });

  it('reports the active trace id for error envelopes, and none outside a span', async () => {
    const inside = await withSpan('x', {}, (span) => ({
      reported: currentTraceId(),
      actual: span.spanContext().traceId,
    }));

    expect(inside.reported).toBe(inside.actual);
    expect(currentTraceId()).toBeUndefined();
  });
});

describe('startTelemetry', () => {
  it('returns the first handle on a second call', () => {
    expect(startTelemetry({ service: 'orchestrator', version: '0.0.0-test', metricsPort: null })).toBe(
      handle,
    );
    expect(handle.metricsPort).toBeNull();
  });

  it.each([
    ['an unknown service', { service: 'steward-orchestrator', version: '1' }],
    ['an empty version', { service: 'orchestrator', version: ' ' }],
    ['a negative metrics port', { service: 'orchestrator', version: '1', metricsPort: -1 }],
    ['a fractional metrics port', { service: 'orchestrator', version: '1', metricsPort: 94.5 }],
    ['a non-URL endpoint', { service: 'orchestrator', version: '1', otlpEndpoint: 'collector:4318' }],
    ['a non-http endpoint', { service: 'orchestrator', version: '1', otlpEndpoint: 'ftp://127.0.0.1:4318' }],
  ])('rejects %s with INVALID_INPUT', (_label, options) => {
    const start = (): unknown => startTelemetry(options as Parameters<typeof startTelemetry>[0]);

    expect(start).toThrow(StewardError);
    expect(start).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
