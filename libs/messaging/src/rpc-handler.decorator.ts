import { Logger } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type NatsContext } from '@nestjs/microservices';
import { metrics, SpanKind, SpanStatusCode, trace, type Histogram, type Span } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { StewardError, type ErrorBody, type RpcDefinition } from '@steward/contracts';
import { internalErrorBody } from './bus-errors.js';
import { isMalformedPayload, MALFORMED_PAYLOAD } from './bus-server.js';
import { incomingTraceContext } from './trace-headers.js';

/** What a handler learns about the call besides its validated input. */
export interface CallContext {
  readonly subject: string;
  readonly traceId: string | undefined;
}

const tracer = trace.getTracer('@steward/messaging');
// Made on first use: this module loads before the process starts its telemetry, and an
// instrument taken from the API before a meter provider is registered never records.
let handlerDuration: Histogram | undefined;
function handlerDurationHistogram(): Histogram {
  handlerDuration ??= metrics.getMeter('@steward/messaging').createHistogram('steward.bus.handler.duration', {
    description: 'Time spent handling a bus request, by subject and outcome',
    unit: 'ms',
  });
  return handlerDuration;
}
const log = new Logger('bus');

/**
 * Marks a controller method as the server side of an RPC. Before the method runs, the payload is
 * parsed and validated against the RPC's request schema; whatever happens after, the caller gets
 * `{ data }` or the error envelope — never a hang, never a crash of the service.
 */
export function RpcHandler(rpc: RpcDefinition): MethodDecorator {
  return (target, key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (input: unknown, call: CallContext) => unknown;
    descriptor.value = function (this: unknown, raw: unknown, ctx?: NatsContext) {
      return runHandler(rpc, raw, ctx?.getHeaders() as MsgHdrs | undefined, (input, call) =>
        original.call(this, input, call),
      );
    };
    // Nest passes only the payload unless asked for the context, which carries the NATS headers.
    Payload()(target, key, 0);
    Ctx()(target, key, 1);
    MessagePattern(rpc.subject)(target, key, descriptor);
    return descriptor;
  };
}

async function runHandler(
  rpc: RpcDefinition,
  raw: unknown,
  headers: MsgHdrs | undefined,
  handler: (input: unknown, call: CallContext) => unknown,
): Promise<{ data: unknown } | { error: ErrorBody }> {
  const started = performance.now();
  const parent = incomingTraceContext(headers);
  return tracer.startActiveSpan(
    rpc.subject,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': rpc.subject,
        'messaging.operation.type': 'process',
        'rpc.method': rpc.subject,
      },
    },
    parent,
    async (span) => {
      const traceId = span.spanContext().traceId;
      const reply = await answer(rpc, raw, traceId, span, handler);
      const code = 'error' in reply ? reply.error.code : 'OK';
      handlerDurationHistogram().record(performance.now() - started, {
        'rpc.method': rpc.subject,
        'steward.outcome': code,
      });
      span.end();
      return reply;
    },
  );
}

async function answer(
  rpc: RpcDefinition,
  raw: unknown,
  traceId: string,
  span: Span,
  handler: (input: unknown, call: CallContext) => unknown,
): Promise<{ data: unknown } | { error: ErrorBody }> {
  try {
    if (isMalformedPayload(raw)) {
      throw new StewardError('INVALID_INPUT', `payload for ${rpc.subject} is not valid JSON`, {
        details: { reason: raw[MALFORMED_PAYLOAD] },
      });
    }
    const input = rpc.request.safeParse(raw);
    if (!input.success) {
      throw new StewardError('INVALID_INPUT', `invalid request for ${rpc.subject}`, {
        details: input.error.issues,
      });
    }
    const result = await handler(input.data, { subject: rpc.subject, traceId });
    const output = rpc.response.safeParse(result);
    if (!output.success) {
      throw new StewardError('INTERNAL', `${rpc.subject} produced a reply outside its contract`, {
        details: output.error.issues,
      });
    }
    return { data: output.data };
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    if (error instanceof StewardError) {
      span.setAttribute('steward.error.code', error.code);
      const body = error.toBody();
      body.traceId = traceId;
      if (error.code === 'INTERNAL') log.error(`${rpc.subject}: ${error.message}`, error.stack);
      return { error: body };
    }
    const { body, incidentId } = internalErrorBody(traceId);
    span.setAttribute('steward.error.code', 'INTERNAL');
    log.error(`${rpc.subject} failed, incident ${incidentId}: ${String(error)}`, (error as Error)?.stack);
    return { error: body };
  }
}
