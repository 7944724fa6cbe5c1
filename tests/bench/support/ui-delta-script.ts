// The streamed answer the text-delta benchmark has the model write, and the clock on its writes.
// Every delta carries a marker of its own ("r1k0042z"), so the page can say when each one appeared
// and the model server's side when each one left: the model server (@steward/testing) splits a text
// block into pieces of 16 code points (up to 64 of them), so pieces of exactly 16 code points, each
// opening with its marker, go out one delta each.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { reply, text, type ModelRequest, type Scripted } from '@steward/testing';

const PIECE_CODE_POINTS = 16;
/** Pieces per text block: under the model server's 64, so each piece is one delta. */
const PIECES_PER_BLOCK = 50;
const MARKER = /[a-z]\dk\d{4}z/g;
const REQUEST_START = 'http.server.request.start';

/** Markers of one stream share a prefix: a letter and a digit (so one stream's never match another's). */
export function markerPrefix(letter: string, round: number): string {
  if (!/^[a-z]$/.test(letter) || !Number.isInteger(round) || round < 0 || round > 9)
    throw new Error(`a marker prefix is a letter and a digit, not "${letter}${round}"`);
  return `${letter}${round}k`;
}

export function markerOf(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(4, '0')}z`;
}

/** The text of delta `index`: its marker, padded to one piece. */
export function pieceOf(prefix: string, index: number): string {
  return `${markerOf(prefix, index)} stream `.padEnd(PIECE_CODE_POINTS).slice(0, PIECE_CODE_POINTS);
}

/** `count` deltas as text blocks of at most PIECES_PER_BLOCK pieces. */
export function answerBlocks(prefix: string, count: number): string[] {
  const blocks: string[] = [];
  for (let start = 0; start < count; start += PIECES_PER_BLOCK) {
    const end = Math.min(count, start + PIECES_PER_BLOCK);
    blocks.push(Array.from({ length: end - start }, (_, k) => pieceOf(prefix, start + k)).join(''));
  }
  return blocks;
}

/** When each marker was first handed to a socket: `performance.timeOrigin + performance.now()` in ms. */
export type WriteStamps = Map<string, number>;

/** Stamps the markers in a chunk about to be written (the first write of each marker counts). */
export function stampedWrite(stamps: WriteStamps, chunk: unknown): void {
  const at = performance.timeOrigin + performance.now();
  const body = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
  for (const match of body.matchAll(MARKER)) if (!stamps.has(match[0])) stamps.set(match[0], at);
}

interface RequestStart {
  readonly response: ServerResponse;
  readonly socket: Socket;
}

function isRequestStart(message: unknown): message is RequestStart {
  return typeof message === 'object' && message !== null && 'response' in message && 'socket' in message;
}

/**
 * The moment the model server writes each marker, read at its `res.write`: Node's HTTP diagnostics
 * channel hands over each response of the server on `port` before the server's handler sees it,
 * and that one response's `write` is wrapped (the server itself is not changed).
 */
export class ModelWriteClock {
  readonly stamps: WriteStamps = new Map();
  readonly #onStart = (message: unknown): void => {
    if (!isRequestStart(message) || message.socket.localPort !== this.port) return;
    const response = message.response;
    const write = response.write.bind(response) as (...args: unknown[]) => boolean;
    const stamps = this.stamps;
    Object.defineProperty(response, 'write', {
      configurable: true,
      writable: true,
      value: (...args: unknown[]): boolean => {
        stampedWrite(stamps, args[0]);
        return write(...args);
      },
    });
  };

  constructor(readonly port: number) {
    subscribe(REQUEST_START, this.#onStart);
  }

  close(): void {
    unsubscribe(REQUEST_START, this.#onStart);
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

export interface HeldAnswer {
  /** Resolves when the task's model request has arrived (and is being held). */
  readonly requested: Promise<void>;
  /** Lets the answer stream. */
  release(): void;
}

/**
 * Answers each benchmark task, told apart by a tag in its prompt, with its marked deltas paced
 * `paceMs` apart — held until released, so the page is watching before the first delta leaves.
 */
export class DeltaScript {
  readonly #tasks = new Map<
    string,
    { prefix: string; count: number; requested: Deferred; go: Deferred; served: number }
  >();
  readonly problems: string[] = [];

  constructor(readonly paceMs: number) {}

  add(tag: string, prefix: string, count: number): HeldAnswer {
    const entry = { prefix, count, requested: deferred(), go: deferred(), served: 0 };
    this.#tasks.set(tag, entry);
    return { requested: entry.requested.promise, release: () => entry.go.resolve() };
  }

  /** For ModelServer.respondWith. */
  readonly handler = async (request: ModelRequest): Promise<Scripted> => {
    const messages = (request.body as { messages?: Array<{ role?: string }> }).messages ?? [];
    const first = JSON.stringify(messages.find((message) => message.role !== 'system') ?? '');
    for (const [tag, entry] of this.#tasks) {
      if (!first.includes(tag)) continue;
      entry.served += 1;
      if (entry.served > 1) {
        const problem = `task ${tag} asked the model a second time (request #${request.index})`;
        this.problems.push(problem);
        throw new Error(problem);
      }
      entry.requested.resolve();
      await entry.go.promise;
      return reply(
        answerBlocks(entry.prefix, entry.count).map((block) => text(block)),
        { chunkDelayMs: this.paceMs },
      );
    }
    const problem = `a model request matches no benchmark task: ${first.slice(0, 200)}`;
    this.problems.push(problem);
    throw new Error(problem);
  };
}
