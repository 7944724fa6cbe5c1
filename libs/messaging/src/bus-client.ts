import { SpanKind, SpanStatusCode, trace, context } from '@opentelemetry/api';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  mayPublish,
  StewardError,
  type RpcDefinition,
  type RpcRequest,
  type RpcResponse,
  type ServiceName,
} from '@steward/contracts';
import { decodeBody, encodeBody } from './body-codec.js';
import { fromNatsError, parseErrorEnvelope } from './bus-errors.js';
import { outgoingTraceHeaders } from './trace-headers.js';

export interface RequestOptions {
  /** Overrides the RPC's own timeout; never longer than the caller can wait. */
  readonly timeoutMs?: number;
  /** Stops waiting (the reply, if it comes, is dropped) and rejects with CANCELLED. */
  readonly signal?: AbortSignal;
}

export type BusState = 'connected' | 'reconnecting' | 'closed';

const tracer = trace.getTracer('@steward/messaging');

function decodeReply(reply: Uint8Array, subject: string): unknown {
  try {
    return decodeBody(reply);
  } catch (error) {
    throw new StewardError('INTERNAL', `${subject} answered with a malformed body`, { cause: error });
  }
}

function isErrorReply(body: unknown): body is { error: unknown } {
  return typeof body === 'object' && body !== null && 'error' in body;
}

/**
 * The typed way one service calls another. Validates the request before anything is sent,
 * carries the trace, waits at most the RPC's timeout, and turns every failure into a
 * StewardError with a code.
 */
export class BusClient {
  private state: BusState = 'connected';

  constructor(
    private readonly connection: NatsConnection,
    readonly service: ServiceName,
  ) {
    void this.followStatus();
  }

  /** Whether requests can go out now; the connection reconnects by itself after an outage. */
  get status(): BusState {
    return this.connection.isClosed() ? 'closed' : this.state;
  }

  /** Lets in-flight requests finish, then closes the connection. */
  async close(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain().catch(() => this.connection.close());
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.state = 'reconnecting';
      if (status.type === 'reconnect') this.state = 'connected';
    }
  }

  async request<R extends RpcDefinition>(
    rpc: R,
    input: RpcRequest<R>,
    options: RequestOptions = {},
  ): Promise<RpcResponse<R>> {
    if (!rpc.callers.includes(this.service)) {
      throw new StewardError('FORBIDDEN', `${this.service} is not a caller of ${rpc.subject}`);
    }
    const parsed = rpc.request.safeParse(input);
    if (!parsed.success) {
      throw new StewardError('INVALID_INPUT', `invalid request for ${rpc.subject}`, {
        details: parsed.error.issues,
      });
    }
    const payload = encodeBody(parsed.data);
    const timeout = Math.max(1, options.timeoutMs ?? rpc.timeoutMs);

    return tracer.startActiveSpan(
      `${rpc.subject} request`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': rpc.subject,
          'messaging.operation.type': 'send',
          'rpc.method': rpc.subject,
        },
      },
      async (span) => {
        try {
          const reply = await this.send(rpc.subject, payload, timeout, options.signal);
          const body = decodeReply(reply, rpc.subject);
          if (isErrorReply(body)) {
            const error = parseErrorEnvelope(body);
            throw error
              ? StewardError.fromBody(error)
              : new StewardError('INTERNAL', `${rpc.subject} answered with a malformed error`);
          }
          const data = rpc.response.safeParse((body as { data?: unknown }).data);
          if (!data.success) {
            throw new StewardError('INTERNAL', `${rpc.subject} answered outside its contract`, {
              details: data.error.issues,
            });
          }
          return data.data as RpcResponse<R>;
        } catch (error) {
          const typed = fromNatsError(error, rpc.subject);
          span.setAttribute('steward.error.code', typed.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: typed.message });
          throw typed;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Publishes an event on the caller's own `events.<prefix>.>` subjects. A subject outside the
   * caller's grants is refused here, before the server would refuse it silently.
   */
  publish(subject: string, payload: unknown): void {
    if (!mayPublish(this.service, subject)) {
      throw new StewardError('FORBIDDEN', `${this.service} may not publish ${subject}`);
    }
    const headers = outgoingTraceHeaders();
    this.connection.publish(subject, encodeBody(payload), headers ? { headers } : undefined);
  }

  private async send(
    subject: string,
    payload: Uint8Array,
    timeout: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    if (signal?.aborted) throw new StewardError('CANCELLED', `request to ${subject} was cancelled`);
    const headers = outgoingTraceHeaders(context.active());
    const pending = this.connection.request(subject, payload, headers ? { timeout, headers } : { timeout });
    if (!signal) return (await pending).data;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void =>
        reject(new StewardError('CANCELLED', `request to ${subject} was cancelled`));
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (msg) => {
          signal.removeEventListener('abort', onAbort);
          resolve(msg.data);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}
