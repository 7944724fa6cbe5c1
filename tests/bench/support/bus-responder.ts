// The answering side of the bus benchmark, run as its own process (forked with IPC) like a real
// fs-service: either a bare NATS subscription or a Nest microservice built on @steward/messaging.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from '@steward/contracts';
import type { BusCredentials } from '@steward/messaging';
import { BARE_SUBJECT } from './echo-rpc.js';
import { toResponder, type FromResponder, type ResponderMode } from './responder-protocol.js';

interface Running {
  close(): Promise<void>;
}

async function startBare(credentials: BusCredentials): Promise<Running> {
  const nc: NatsConnection = await connect({
    servers: credentials.servers,
    user: credentials.user,
    pass: credentials.pass,
    inboxPrefix: inboxPrefix('fs-service'),
    name: `fs-service:bench-bare:${process.pid}`,
  });
  // Same queue group as the library's server, so the only difference left is the library itself.
  nc.subscribe(BARE_SUBJECT, {
    queue: 'fs-service',
    callback: (error, msg) => {
      if (error) {
        console.error(`bench responder: subscription failed: ${error.message}`);
        return;
      }
      msg.respond(msg.data);
    },
  });
  await nc.flush();
  return { close: () => nc.drain() };
}

async function startLibrary(credentials: BusCredentials): Promise<Running> {
  // Loaded only here, so the bare responder carries neither Nest nor the library.
  const { startEchoMicroservice } = await import('./echo-module.js');
  const app = await startEchoMicroservice(credentials);
  return { close: () => app.close() };
}

function send(message: FromResponder): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

let running: Running | undefined;

async function start(mode: ResponderMode, credentials: BusCredentials): Promise<void> {
  running = mode === 'bare' ? await startBare(credentials) : await startLibrary(credentials);
  await send({ type: 'ready' });
}

async function stop(): Promise<void> {
  await running?.close();
  running = undefined;
  await send({ type: 'stopped', rssBytes: process.memoryUsage().rss });
  process.exit(0);
}

async function fail(error: unknown): Promise<void> {
  await send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

if (!process.send) {
  console.error('bus-responder is started by the bus benchmark (with an IPC channel), not by hand');
  process.exit(2);
}

process.on('message', (raw: unknown) => {
  const parsed = toResponder.safeParse(raw);
  if (!parsed.success) {
    void fail(new Error(`unexpected message from the benchmark: ${parsed.error.message}`));
    return;
  }
  const message = parsed.data;
  (message.type === 'start' ? start(message.mode, message.credentials) : stop()).catch(fail);
});
// The benchmark went away (crashed or was killed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
