import type { NextFunction, Request, Response } from 'express';
import { context, trace } from '@opentelemetry/api';
import { extractTraceContext, getTracer, SpanKind, SpanStatusCode } from '@steward/telemetry';

/**
 * One server span per HTTP request, continuing the caller's trace when it sends `traceparent`.
 * The route handler runs inside the span's context, so the bus requests it makes join the same
 * trace across processes. Registered after body parsing, so that context is not lost in a stream callback.
 */
export function httpTracing() {
  const tracer = getTracer('@steward/ui.http');
  return (req: Request, res: Response, next: NextFunction): void => {
    const parent = extractTraceContext({
      traceparent: header(req, 'traceparent'),
      tracestate: header(req, 'tracestate'),
    });
    const span = tracer.startSpan(
      `${req.method} ${req.path.startsWith('/api/') ? req.path : 'static'}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route) span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
