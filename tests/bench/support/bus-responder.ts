// The answering side of the bus benchmark, run as its own process (forked with IPC) like a real
// fs-service: a bare NATS subscription (echoing bytes, or doing the JSON work the library's wire
// format needs) or a Nest microservice built on @steward/messaging. It stays alive for the whole run
// and is told when to listen, so its code is warm in every round and the variants can take turns
// without ever serving at the same time.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from '@steward/contracts';
import type { BusCredentials } from '@steward/messaging';
import { BARE_JSON_SUBJECT, BARE_SUBJECT } from './echo-rpc.js';
import { toResponder, type BareMode, type FromResponder, type ResponderMode } from './responder-protocol.js';

interface Listening {
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where each bare variant listens, and its reply to a request's bytes. */
const BARE: Readonly<Record<BareMode, { subject: string; reply: (request: Uint8Array) => Uint8Array }>> = {
  bare: { subject: BARE_SUBJECT, reply: (request) => request },
  // Parsed and re-encoded inside the `{ data }` envelope the library's server answers with.
  'bare-json': {
    subject: BARE_JSON_SUBJECT,
    reply: (request) => {
      const data: unknown = JSON.parse(decoder.decode(request));
      return encoder.encode(JSON.stringify({ data }));
    },
  },
};

async function listenBare(mode: BareMode, credentials: BusCredentials): Promise<Listening> {
  const { subject, reply } = BARE[mode];
  const nc: NatsConnection = await connect({
    servers: credentials.servers,
    user: credentials.user,
    pass: credentials.pass,
    inboxPrefix: inboxPrefix('fs-service'),
    name: `fs-service:bench-${mode}:${process.pid}`,
  });
  // Same queue group as the library's server, so the only difference left is the library itself.
  nc.subscribe(subject, {
    queue: 'fs-service',
    callback: (error, msg) => {
      if (error) {
        console.error(`bench responder: subscription failed: ${error.message}`);
        return;
      }
      msg.respond(reply(msg.data));
    },
  });
  await nc.flush();
  return { close: () => nc.drain() };
}

async function listenLibrary(credentials: BusCredentials, telemetry: boolean): Promise<Listening> {
  if (telemetry) {
    const { startTelemetry } = await import('@steward/telemetry');
    // Once per process; later calls return the same handle.
    startTelemetry({ service: 'fs-service', version: 'bench', metricsPort: 0 });
  }
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

let listening: Listening | undefined;

async function listen(mode: ResponderMode, credentials: BusCredentials, telemetry: boolean): Promise<void> {
  if (listening) throw new Error('already listening');
  listening =
    mode === 'library' ? await listenLibrary(credentials, telemetry) : await listenBare(mode, credentials);
  await send({ type: 'ready' });
}

async function unlisten(): Promise<void> {
  await listening?.close();
  listening = undefined;
  await send({ type: 'idle' });
}

async function usage(): Promise<void> {
  const cpu = process.cpuUsage();
  await send({ type: 'usage', cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss() });
}

async function exit(): Promise<void> {
  await listening?.close();
  process.exit(0);
}

async function fail(error: unknown): Promise<void> {
  await send({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
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
  const step =
    message.type === 'listen'
      ? listen(message.mode, message.credentials, message.telemetry)
      : message.type === 'unlisten'
        ? unlisten()
        : message.type === 'usage'
          ? usage()
          : exit();
  step.catch(fail);
});
// The benchmark went away (crashed or was killed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
