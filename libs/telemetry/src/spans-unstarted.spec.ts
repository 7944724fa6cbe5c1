import { context, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  currentTraceId,
  extractTraceContext,
  getMeter,
  getTracer,
  injectTraceHeaders,
  withSpan,
} from './spans.js';

// This file never calls startTelemetry: libraries that use these helpers must work in a process without telemetry.
describe('trace helpers before startTelemetry', () => {
  it('inject leaves the carrier unchanged', async () => {
    const headers = await withSpan('x', {}, () => injectTraceHeaders({ 'content-type': 'application/json' }));

    expect(headers).toEqual({ 'content-type': 'application/json' });
  });

  it('extract returns the active context', () => {
    const extracted = extractTraceContext({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });

    expect(extracted).toBe(context.active());
    expect(trace.getSpanContext(extracted)).toBeUndefined();
  });

  it('withSpan still runs the function and propagates its failure', async () => {
    await expect(withSpan('x', {}, () => 7)).resolves.toBe(7);
    await expect(
      withSpan('x', {}, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('has no trace id to report', async () => {
    expect(await withSpan('x', {}, () => currentTraceId())).toBeUndefined();
  });

  it('hands out usable no-op tracers and meters', () => {
    expect(() => getTracer().startSpan('x').end()).not.toThrow();
    expect(() => getMeter().createCounter('steward_noop_total').add(1)).not.toThrow();
  });
});
