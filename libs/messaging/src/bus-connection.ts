import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { inboxPrefix, type ServiceName } from '@steward/contracts';

export interface BusCredentials {
  readonly servers: string;
  readonly user: string;
  readonly pass: string;
}

/**
 * Connection options shared by a service's server side (Nest transport) and client side:
 * its own user, its own inbox prefix (the server refuses any other), and reconnection that never
 * gives up, with jittered backoff, so a restarted nats-server is rejoined.
 */
export function busConnectionOptions(
  service: ServiceName,
  credentials: BusCredentials,
  role: 'server' | 'client',
): NodeConnectionOptions {
  return {
    servers: credentials.servers,
    user: credentials.user,
    pass: credentials.pass,
    name: `${service}:${role}:${process.pid}`,
    inboxPrefix: inboxPrefix(service),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    waitOnFirstConnect: true,
    noEcho: true,
    pingInterval: 10_000,
    // nats.js otherwise builds two Error objects per request just for stack traces (~25 µs);
    // every failure is turned into a StewardError with its own context anyway.
    noAsyncTraces: true,
  };
}

export function connectBus(
  service: ServiceName,
  credentials: BusCredentials,
  role: 'server' | 'client' = 'client',
): Promise<NatsConnection> {
  return connect(busConnectionOptions(service, credentials, role));
}
