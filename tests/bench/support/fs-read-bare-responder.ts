// The floor of the read benchmark, run as its own process like fs-service: a bare NATS subscription
// that takes a path (the request's bytes), reads the file with fs.readFile and answers with the
// file's bytes. No validation, no roots, no envelope: what one read over the bus costs at the least.
import { readFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import { inboxPrefix } from '@steward/contracts';
import {
  BARE_READ_SERVICE,
  BARE_READ_SUBJECT,
  toBareReader,
  type FromBareReader,
  type ToBareReader,
} from './fs-read-bare-protocol.js';

const decoder = new TextDecoder();
const empty = new Uint8Array(0);

function send(message: FromBareReader): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function listen(credentials: ToBareReader['credentials']): Promise<void> {
  const nc = await connect({
    servers: credentials.servers,
    user: credentials.user,
    pass: credentials.pass,
    inboxPrefix: inboxPrefix(BARE_READ_SERVICE),
    name: `${BARE_READ_SERVICE}:bench-bare-read:${process.pid}`,
  });
  // A queue group, as the library's server subscribes: the only difference left is the work done.
  nc.subscribe(BARE_READ_SUBJECT, {
    queue: BARE_READ_SERVICE,
    callback: (error, msg) => {
      if (error) {
        console.error(`bare reader: subscription failed: ${error.message}`);
        return;
      }
      // An empty reply is what the benchmark reads as "the read failed" (its length check fails).
      readFile(decoder.decode(msg.data)).then(
        (bytes) => msg.respond(bytes),
        () => msg.respond(empty),
      );
    },
  });
  await nc.flush();
  nc.closed().then(
    () => process.exit(0),
    () => process.exit(1),
  );
  await send({ type: 'ready' });
}

if (!process.send) {
  console.error('fs-read-bare-responder is started by the read benchmark (with an IPC channel), not by hand');
  process.exit(2);
}

process.once('message', (raw: unknown) => {
  const parsed = toBareReader.safeParse(raw);
  const step = parsed.success
    ? listen(parsed.data.credentials)
    : Promise.reject(new Error(`unexpected message from the benchmark: ${parsed.error.message}`));
  step.catch(async (error: unknown) => {
    await send({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(1);
  });
});
// The benchmark went away (crashed or was killed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
