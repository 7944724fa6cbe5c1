// When each HTTP exchange of the local model server began and ended, read from Node's own HTTP
// diagnostics channels: the moment a request's headers were parsed and the moment its response was
// handed to the socket in full. The model server records arrival times only (and in whole ms); the
// loop's time per tool call is the gap between one response's end and the next request's start.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

export interface Exchange {
  /** Position among the requests the server received: the same as its `RecordedRequest.index`. */
  readonly index: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** performance.now() when the request's headers had arrived. */
  readonly startMs: number;
  /** performance.now() when the whole response was handed to the socket; undefined until then. */
  finishMs: number | undefined;
}

interface HttpServerMessage {
  readonly request: IncomingMessage;
  readonly socket: Socket;
}

function isHttpServerMessage(message: unknown): message is HttpServerMessage {
  return typeof message === 'object' && message !== null && 'request' in message && 'socket' in message;
}

/** Every exchange of the HTTP server listening on `port` in this process, in arrival order. */
export class ExchangeClock {
  readonly #exchanges: Exchange[] = [];
  readonly #byRequest = new WeakMap<IncomingMessage, Exchange>();
  readonly #onStart = (message: unknown): void => {
    const now = performance.now();
    if (!isHttpServerMessage(message) || message.socket.localPort !== this.port) return;
    const path = (message.request.url ?? '/').split('?', 1)[0] ?? '/';
    const exchange: Exchange = {
      index: this.#exchanges.length,
      method: message.request.method ?? 'GET',
      path,
      startMs: now,
      finishMs: undefined,
    };
    this.#exchanges.push(exchange);
    this.#byRequest.set(message.request, exchange);
  };
  readonly #onFinish = (message: unknown): void => {
    const now = performance.now();
    if (!isHttpServerMessage(message)) return;
    const exchange = this.#byRequest.get(message.request);
    if (exchange !== undefined) exchange.finishMs = now;
  };

  constructor(readonly port: number) {
    subscribe(REQUEST_START, this.#onStart);
    subscribe(RESPONSE_FINISH, this.#onFinish);
  }

  get count(): number {
    return this.#exchanges.length;
  }

  exchange(index: number): Exchange {
    const exchange = this.#exchanges[index];
    if (exchange === undefined) throw new Error(`the model server has seen no exchange #${index}`);
    return exchange;
  }

  close(): void {
    unsubscribe(REQUEST_START, this.#onStart);
    unsubscribe(RESPONSE_FINISH, this.#onFinish);
  }
}
