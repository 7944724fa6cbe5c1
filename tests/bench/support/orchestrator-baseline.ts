// What one tool call costs at the least, measured in the same run as the loop: a bare NATS
// request to the bare reader (which reads the file with fs.readFile and answers with its bytes:
// one bus round trip plus one file read), fs.readFile in this process alone, and the official SDK's
// own share of a turn: serializing a request of the loop's size and taking in its streamed answer.
import { readFile } from 'node:fs/promises';
import type Anthropic from '@anthropic-ai/sdk';
import type { NatsConnection } from '@nats-io/transport-node';
import { BARE_READ_SUBJECT } from './fs-read-bare-protocol.js';
import type { ExchangeClock } from './orchestrator-clock.js';
import type { NoteFile } from './orchestrator-script.js';

const BARE_TIMEOUT_MS = 10_000;
const encoder = new TextEncoder();

/** Reads `count` files over the bus, in turn through `files`; each answer must be the whole file. */
export async function bareReads(
  connection: NatsConnection,
  files: readonly NoteFile[],
  count: number,
  gapMs = 0,
): Promise<Float64Array> {
  const requests = files.map((file) => ({ file, bytes: encoder.encode(file.path) }));
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const request = requests[i % requests.length];
    if (request === undefined) throw new Error('bareReads needs at least one file');
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const started = performance.now();
    const reply = await connection.request(BARE_READ_SUBJECT, request.bytes, { timeout: BARE_TIMEOUT_MS });
    samples[i] = performance.now() - started;
    if (reply.data.length !== request.file.bytes)
      throw new Error(
        `the bare reader answered ${reply.data.length} bytes for ${request.file.path} (${request.file.bytes})`,
      );
  }
  return samples;
}

export async function inProcessReads(files: readonly NoteFile[], count: number): Promise<Float64Array> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const file = files[i % files.length];
    if (file === undefined) throw new Error('inProcessReads needs at least one file');
    const started = performance.now();
    await readFile(file.path, 'utf8');
    samples[i] = performance.now() - started;
  }
  return samples;
}

export interface SdkShare {
  /** From calling `messages.stream()` until the model server had the request's headers. */
  readonly sendMs: number;
  /** From the model server handing off the whole answer until `finalMessage()` resolved. */
  readonly receiveMs: number;
}

/**
 * Sends each body again, one after another, through a bare SDK client (this process, no retries,
 * streaming as the orchestrator does) and times the client's side of each exchange, using the
 * model server's own start and end of it. Nothing else may talk to the server meanwhile.
 */
export async function replayWithSdk(
  sdk: Anthropic,
  clock: ExchangeClock,
  bodies: readonly unknown[],
): Promise<SdkShare[]> {
  const shares: SdkShare[] = [];
  for (const body of bodies) {
    const index = clock.count;
    const started = performance.now();
    const stream = sdk.messages.stream(body as Anthropic.MessageStreamParams, { maxRetries: 0 });
    await stream.finalMessage();
    const ended = performance.now();
    const exchange = clock.exchange(index);
    if (exchange.finishMs === undefined)
      throw new Error(`the model server never finished exchange #${index} of the SDK replay`);
    shares.push({ sendMs: exchange.startMs - started, receiveMs: ended - exchange.finishMs });
  }
  return shares;
}
