import { createServer, request, type Server } from 'node:http';
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
} from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressProxy, type EgressDecision } from '../src/egress/egress-proxy.js';

/*
 * The egress proxy against real servers on this machine's loopback. Loopback is internal, so only
 * rules naming 127.0.0.1 itself reach them — which is also what proves that a name resolving to an
 * internal address (`localhost`) is refused even when listed.
 */

let web: Server;
let webPort: number;
let raw: TcpServer;
let rawPort: number;
let proxy: EgressProxy;
let proxyPort: number;
let allowed: string[] = [];
const decisions: EgressDecision[] = [];

beforeAll(async () => {
  web = createServer((req, res) => res.end(`hello from ${req.headers.host} ${req.url}`));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as AddressInfo).port;
  raw = createTcpServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  rawPort = (raw.address() as AddressInfo).port;
  proxy = new EgressProxy(
    () => allowed,
    (decision) => decisions.push(decision),
  );
  await proxy.listen(0);
  proxyPort = (proxy.address() as AddressInfo).port;
});
afterAll(async () => {
  await proxy?.close();
  web?.close();
  raw?.close();
});

function viaProxy(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        path: url,
        headers: { host: URL.canParse(url) ? new URL(url).host : 'proxy' },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

function tunnel(authority: string): Promise<{ status: string; echo?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1');
    let data = '';
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return;
      const status = data.split('\r\n')[0] ?? '';
      if (!status.includes(' 200 ')) {
        socket.destroy();
        resolve({ status });
        return;
      }
      const after = data.slice(end + 4);
      if (after === '') socket.write('ping');
      else {
        socket.destroy();
        resolve({ status, echo: after });
      }
    });
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

describe('egress proxy', () => {
  it('forwards a plain request to an allowed host, and refuses one not listed with 403', async () => {
    allowed = [`127.0.0.1:${webPort}`];
    const ok = await viaProxy(`http://127.0.0.1:${webPort}/page?q=1`);
    expect(ok).toEqual({ status: 200, body: `hello from 127.0.0.1:${webPort} /page?q=1` });
    allowed = [];
    const refused = await viaProxy(`http://127.0.0.1:${webPort}/page`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('not in the allowed hosts');
  });

  it('tunnels CONNECT to an allowed host and port only', async () => {
    allowed = [`127.0.0.1:${rawPort}`];
    expect(await tunnel(`127.0.0.1:${rawPort}`)).toEqual({
      status: 'HTTP/1.1 200 Connection Established',
      echo: 'ping',
    });
    expect((await tunnel(`127.0.0.1:${webPort}`)).status).toContain('403');
  });

  it('refuses a listed name that resolves inside this machine (loopback, metadata, rebinding)', async () => {
    allowed = [`localhost:${webPort}`, 'metadata.internal'];
    const local = await viaProxy(`http://localhost:${webPort}/`);
    expect(local.status).toBe(403);
    expect(local.body).toContain('internal address');
    expect(decisions.at(-1)).toMatchObject({ host: 'localhost', allowed: false });
  });

  it('refuses what is not an absolute http URL or a valid authority', async () => {
    allowed = ['*'];
    expect((await viaProxy('/relative')).status).toBe(400);
    expect((await tunnel('no-port-here:99999')).status).toContain('400');
  });
});
