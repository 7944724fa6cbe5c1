import { get, request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningAddresses } from '../support/sockets.js';
import { startStack, type Stack } from '../support/stack.js';

/** Raw HTTP so the Host header can be forged (fetch will not let a test set it). */
function raw(
  port: number,
  init: { method?: string; path: string; headers?: Record<string, string>; body?: string },
) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: init.method ?? 'GET', path: init.path, headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('ui is the only door, and it checks who knocks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const host = () => ({ host: `127.0.0.1:${stack.uiPort}` });

  it('/api/health answers without a token and names all six services and the sandbox runtime', async () => {
    const res = await raw(stack.uiPort, { path: '/api/health', headers: host() });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as {
      status: string;
      services: Record<string, { status: string }>;
      sandbox: { runtime: string };
    };
    expect(Object.keys(body.services).sort()).toEqual([
      'fs-service',
      'orchestrator',
      'plugin-host',
      'scheduler',
      'ui',
      'vm-service',
    ]);
    expect(body.status).toBe('ok');
    expect(['docker', 'bubblewrap']).toContain(body.sandbox.runtime);
  });

  it('every other API route needs the token', async () => {
    for (const path of ['/api/policy', '/api/health/details', '/api/events']) {
      const res = await raw(stack.uiPort, { path, headers: host() });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const wrong = await raw(stack.uiPort, {
      path: '/api/policy',
      headers: { ...host(), authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    const right = await raw(stack.uiPort, {
      path: '/api/policy',
      headers: { ...host(), authorization: `Bearer ${stack.token}` },
    });
    expect(right.status).toBe(200);
  });

  it.each(['evil.example:80', `attacker.test:${7420}`, '127.0.0.1.nip.io', 'localhost'])(
    'a foreign Host (%s) is refused even with the token',
    async (forged) => {
      const res = await raw(stack.uiPort, {
        path: '/api/policy',
        headers: { host: forged, authorization: `Bearer ${stack.token}` },
      });
      expect(res.status).toBe(403);
    },
  );

  it('a state-changing request from a foreign Origin or a cross-site form is refused', async () => {
    const body = JSON.stringify({ folders: [stack.home] });
    const headers = { ...host(), authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
    const foreign = await raw(stack.uiPort, {
      method: 'POST',
      path: '/api/folders/inspect',
      headers: { ...headers, origin: 'https://evil.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const crossSite = await raw(stack.uiPort, {
      method: 'POST',
      path: '/api/folders/inspect',
      headers: { ...headers, 'sec-fetch-site': 'cross-site' },
      body,
    });
    expect(crossSite.status).toBe(403);
    const same = await raw(stack.uiPort, {
      method: 'POST',
      path: '/api/folders/inspect',
      headers: { ...headers, origin: `http://127.0.0.1:${stack.uiPort}` },
      body,
    });
    expect(same.status).toBe(200);
  });

  it('pages carry a strict Content-Security-Policy', async () => {
    const res = await raw(stack.uiPort, { path: '/', headers: host() });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('a bad body gets the error envelope with a 400, not a crash', async () => {
    const res = await raw(stack.uiPort, {
      method: 'POST',
      path: '/api/folders/inspect',
      headers: { ...host(), authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: '{"folders": [',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'INVALID_INPUT' } });
  });

  it('sends the page’s script compressed to a browser that accepts it, and plain to one that does not', async () => {
    const fetchAsset = (path: string, encoding?: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
        (resolve, reject) => {
          get(
            {
              host: '127.0.0.1',
              port: stack.uiPort,
              path,
              headers: { ...host(), ...(encoding === undefined ? {} : { 'accept-encoding': encoding }) },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
              );
            },
          ).on('error', reject);
        },
      );
    const plain = await fetchAsset('/assets/app.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/javascript/);

    const br = await fetchAsset('/assets/app.js', 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/Accept-Encoding/i);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);

    const gz = await fetchAsset('/assets/app.css', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toMatch(/css/);
    expect(gunzipSync(gz.body).equals((await fetchAsset('/assets/app.css')).body)).toBe(true);

    // Only the build's assets are looked up, and nothing outside them.
    expect((await fetchAsset('/assets/..%2Findex.html', 'br')).headers['content-encoding']).toBeUndefined();
    expect((await fetchAsset('/assets/missing.js', 'br')).status).toBe(404);
  });

  it('binds loopback only', () => {
    expect(listeningAddresses(stack.uiPort)).toEqual({ v4: ['0100007F'], v6: [] });
  });
});
