// The primitive the page's text stream is compared against: a bare HTTP server that writes the same
// marked deltas, at the same pace, as server-sent events to a minimal page whose only script opens
// an EventSource and appends each delta to the DOM as a text node. No bus, no orchestrator, no
// React: what a browser needs at the least to show a streamed delta.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pieceOf, stampedWrite, type WriteStamps } from './ui-delta-script.js';

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>bare stream</title>
    <script src="/bare.js" defer></script>
  </head>
  <body>
    <p id="out"></p>
  </body>
</html>
`;

/** The page's `?s=` names its stream, so a page's reconnect never passes for the next page's stream. */
const SCRIPT = `const out = document.getElementById('out');
const source = new EventSource('/events' + location.search);
source.addEventListener('delta', (event) => out.append(event.data));
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class BareSseServer {
  readonly stamps: WriteStamps = new Map();
  readonly #streams = new Map<string, ServerResponse>();
  readonly #waiting = new Map<string, () => void>();
  /** Streams that were written and ended: a page asking for one again is told to stop (204). */
  readonly #done = new Set<string>();

  private constructor(
    private readonly server: Server,
    private readonly origin: string,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
  }

  static async start(): Promise<BareSseServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new BareSseServer(server, `http://127.0.0.1:${port}`);
  }

  /** The page that opens stream `id`. */
  pageUrl(id: string): string {
    return `${this.origin}/?s=${encodeURIComponent(id)}`;
  }

  /** Resolves once the page has opened stream `id`. */
  connected(id: string): Promise<void> {
    if (this.#streams.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }

  /** Writes `count` deltas `paceMs` apart to stream `id`, then ends it. */
  async stream(id: string, prefix: string, count: number, paceMs: number): Promise<void> {
    const res = this.#streams.get(id);
    if (res === undefined) throw new Error(`no page has the bare event stream ${id} open`);
    for (let index = 0; index < count; index += 1) {
      if (index > 0) await sleep(paceMs);
      const chunk = `event: delta\ndata: ${pieceOf(prefix, index)}\n\n`;
      stampedWrite(this.stamps, chunk);
      res.write(chunk);
    }
    res.end();
    this.#streams.delete(id);
    this.#done.add(id);
  }

  async close(): Promise<void> {
    for (const res of this.#streams.values()) res.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
    } else if (url.pathname === '/bare.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(SCRIPT);
    } else if (url.pathname === '/events') {
      const id = url.searchParams.get('s') ?? '';
      if (id === '' || this.#done.has(id) || this.#streams.has(id)) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
      this.#streams.set(id, res);
      res.once('close', () => {
        if (this.#streams.get(id) === res) this.#streams.delete(id);
      });
      this.#waiting.get(id)?.();
      this.#waiting.delete(id);
    } else {
      res.writeHead(404).end();
    }
  }
}
