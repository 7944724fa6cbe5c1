import { lookup } from 'node:dns/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { allowingRule, mayConnect, type EgressTarget } from './egress-rules.js';

/** What the proxy did with one request, for logs and events (never the content). */
export interface EgressDecision {
  readonly host: string;
  readonly port: number;
  readonly allowed: boolean;
  readonly reason: string;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * An HTTP proxy (CONNECT for TLS, absolute-URI requests for plain HTTP) that reaches only the
 * hosts the policy lists, at an address resolved once here and checked (so a name that resolves to
 * this machine or its networks is refused, and cannot be rebound between check and connect).
 * Sandboxes have no network of their own; this is their only way out, when policy allows any.
 */
export class EgressProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Duplex>();

  constructor(
    private readonly allowedHosts: () => readonly string[],
    private readonly onDecision: (decision: EgressDecision) => void = () => undefined,
  ) {
    this.server = createServer((req, res) => void this.forward(req, res));
    this.server.on(
      'connect',
      (req: IncomingMessage, client: Duplex, head: Buffer) => void this.tunnel(req, client, head),
    );
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on a unix socket (or a loopback port, for tests, when `path` is a number). */
  listen(path: string | number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.off('error', reject);
        resolve();
      };
      if (typeof path === 'number') this.server.listen(path, '127.0.0.1', done);
      else this.server.listen(path, done);
    });
  }

  address(): ReturnType<Server['address']> {
    return this.server.address();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Decides on a destination and resolves it to the one address the connection will use. */
  private async decide(target: EgressTarget): Promise<{ address: string } | { refused: string }> {
    const rule = allowingRule(target, this.allowedHosts());
    if (rule === undefined) return this.refuse(target, 'not in the allowed hosts');
    let addresses: { address: string }[];
    try {
      addresses = await lookup(target.host, { all: true, verbatim: true });
    } catch {
      return this.refuse(target, 'the name does not resolve');
    }
    const blocked = addresses.find((entry) => !mayConnect(entry.address, target, rule));
    if (blocked !== undefined || addresses.length === 0) {
      return this.refuse(target, `it resolves to an internal address (${blocked?.address ?? 'none'})`);
    }
    this.onDecision({ ...target, allowed: true, reason: `allowed by ${rule}` });
    return { address: addresses[0]!.address };
  }

  private refuse(target: EgressTarget, reason: string): { refused: string } {
    this.onDecision({ ...target, allowed: false, reason });
    return { refused: `Steward's egress policy refuses ${target.host}:${target.port}: ${reason}` };
  }

  private async tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const target = parseAuthority(req.url ?? '', 443);
    if (target === undefined) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const decision = await this.decide(target);
    if ('refused' in decision) {
      client.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${decision.refused}\n`,
      );
      return;
    }
    const upstream = connect({ host: decision.address, port: target.port, timeout: CONNECT_TIMEOUT_MS });
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const fail = (): void => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
      upstream.destroy();
    };
    upstream.once('timeout', fail);
    upstream.once('error', fail);
    client.once('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('the proxy needs an absolute http:// URL\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('only http:// goes through as a plain request; use CONNECT for https\n');
      return;
    }
    const target = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 80 : Number(url.port),
    };
    const decision = await this.decide(target);
    if ('refused' in decision) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`${decision.refused}\n`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        host: decision.address,
        port: target.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, host: url.host },
        timeout: CONNECT_TIMEOUT_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end();
    });
    req.pipe(upstream);
  }
}

/** `host:port` (with `[v6]:port`) as CONNECT names it. */
function parseAuthority(authority: string, fallbackPort: number): EgressTarget | undefined {
  const match = /^\[?([^\]]+?)\]?(?::(\d{1,5}))?$/.exec(authority);
  if (match?.[1] === undefined) return undefined;
  const port = match[2] === undefined ? fallbackPort : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: match[1], port };
}
