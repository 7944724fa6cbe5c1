import { Logger } from '@nestjs/common';
import { ServerNats } from '@nestjs/microservices';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import {
  allowedSubscriptions,
  BUS_GRANTS,
  inboxPrefix,
  subjectMatches,
  type ErrorBody,
  type ServiceName,
} from '@steward/contracts';
import { busConnectionOptions, type BusCredentials } from './bus-connection.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Stands in for a payload that was not JSON, so the handler answers INVALID_INPUT instead of crashing. */
export const MALFORMED_PAYLOAD: unique symbol = Symbol('steward.malformed-payload');
export interface MalformedPayload {
  readonly [MALFORMED_PAYLOAD]: string;
}

export function isMalformedPayload(value: unknown): value is MalformedPayload {
  return typeof value === 'object' && value !== null && MALFORMED_PAYLOAD in value;
}

/** Requests on the bus are plain JSON of the RPC's request schema, not Nest's `{ pattern, data, id }` packet. */
class PlainJsonDeserializer {
  deserialize(msg: Msg, options?: { replyTo?: string }): { pattern: string; data: unknown; id?: string } {
    let data: unknown;
    if (msg.data.length > 0) {
      try {
        data = JSON.parse(decoder.decode(msg.data));
      } catch (error) {
        data = { [MALFORMED_PAYLOAD]: error instanceof Error ? error.message : 'not JSON' };
      }
    }
    return options?.replyTo
      ? { pattern: msg.subject, data, id: options.replyTo }
      : { pattern: msg.subject, data };
  }
}

/** Replies are the handler's `{ data }` or `{ error }`; Nest's own error packets become INTERNAL. */
class PlainJsonSerializer {
  serialize(packet: { response?: unknown; err?: unknown }): { data: Uint8Array } {
    if (packet.err !== undefined && packet.response === undefined) {
      const body: ErrorBody = { code: 'INTERNAL', message: 'the handler failed', retryable: false };
      return { data: encoder.encode(JSON.stringify({ error: body })) };
    }
    return { data: encoder.encode(JSON.stringify(packet.response ?? null)) };
  }
}

/**
 * Nest's NATS transport with Steward's rules: the service connects as its own user with its own
 * inbox prefix, subscribes once per grant (its whole `<prefix>.>` space, in a queue group so
 * replicas share load), and answers a request to a subject it does not serve with NOT_FOUND
 * instead of leaving the caller to time out.
 */
export class StewardBusServer extends ServerNats {
  private readonly log: Logger;
  private readonly subjects: readonly string[];

  constructor(
    private readonly service: ServiceName,
    credentials: BusCredentials,
  ) {
    super({
      ...busConnectionOptions(service, credentials, 'server'),
      queue: service,
      serializer: new PlainJsonSerializer(),
      deserializer: new PlainJsonDeserializer(),
      gracefulShutdown: true,
      gracePeriod: 200,
    });
    this.log = new Logger(`bus:${service}`);
    this.subjects = BUS_GRANTS[service].serves;
  }

  override bindEvents(client: NatsConnection): void {
    for (const subject of this.subjects) {
      // Events fan out to every instance; requests are shared within the service's queue group.
      const queue = subject.startsWith('events.') ? undefined : this.service;
      client.subscribe(subject, {
        ...(queue ? { queue } : {}),
        callback: (error, msg) => {
          if (error) {
            this.log.error(`subscription ${subject} failed: ${error.message}`);
            return;
          }
          this.dispatch(msg);
        },
      });
    }
  }

  /** The subjects this server listens on, and the inbox its user may read (for tests and health). */
  describe(): { subscriptions: string[]; inbox: string } {
    return { subscriptions: allowedSubscriptions(this.service), inbox: inboxPrefix(this.service) };
  }

  private dispatch(msg: Msg): void {
    const channel = this.findChannel(msg.subject);
    if (channel === undefined) {
      if (msg.reply) {
        const body: ErrorBody = {
          code: 'NOT_FOUND',
          message: `${this.service} does not serve ${msg.subject}`,
          retryable: false,
        };
        msg.respond(encoder.encode(JSON.stringify({ error: body })));
      }
      return;
    }
    this.handleMessage(channel, msg).catch((error: unknown) => {
      this.log.error(
        `handling ${msg.subject} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  private findChannel(subject: string): string | undefined {
    if (this.messageHandlers.has(subject)) return subject;
    for (const pattern of this.messageHandlers.keys()) {
      if (subjectMatches(pattern, subject)) return pattern;
    }
    return undefined;
  }
}
