import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, StackUnreachableError, TaskClient, uiAnswers } from './task-client.js';

const TOKEN = 'a'.repeat(43);
let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const client = (port: number) => new TaskClient({ port, token: TOKEN, home: '/h' });

describe('TaskClient', () => {
  it('sends the token and a loopback Host, no Origin, and the task as JSON', async () => {
    const seen: IncomingMessage[] = [];
    let body = '';
    const port = await serve((req, res) => {
      seen.push(req);
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => json(res, 201, { id: 't_new', status: 'queued' }));
    });
    const created = await client(port).create({ prompt: 'hi', folders: ['/d'], approvalMode: 'auto' });
    expect(created).toEqual({ id: 't_new', status: 'queued' });
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/api/tasks');
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers.host).toBe(`127.0.0.1:${port}`);
    expect(req?.headers.origin).toBeUndefined();
    expect(JSON.parse(body)).toEqual({ prompt: 'hi', folders: ['/d'], approvalMode: 'auto' });
  });

  it("turns the ui's error envelope into an error with its code and message", async () => {
    const port = await serve((_req, res) =>
      json(res, 409, {
        error: { code: 'CONFLICT', message: 'approval ap_1 was already answered', retryable: false },
      }),
    );
    const error = await client(port)
      .approve('t_1', 'ap_1', 'allow', false)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    expect((error as Error).message).toBe('CONFLICT: approval ap_1 was already answered');
  });

  it('explains a refused token as a stack mismatch', async () => {
    const port = await serve((_req, res) =>
      json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no', retryable: false } }),
    );
    await expect(client(port).get('t_1')).rejects.toThrow(/did not accept the token in \/h\/run\/ui-token/);
  });

  it('refuses a task view that does not have the contract shape', async () => {
    const port = await serve((_req, res) => json(res, 200, { id: 't_1', status: 'running' }));
    await expect(client(port).get('t_1')).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('says Steward is not running, with the command that starts it, when nothing listens', async () => {
    const port = await serve(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const error = await client(port)
      .get('t_1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackUnreachableError);
    expect((error as StackUnreachableError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/not running .*"\.\/steward up"/);
    expect(await uiAnswers(port)).toBe(false);
  });

  it('streams the event stream as text, resuming with Last-Event-ID', async () => {
    let lastEventId: string | string[] | undefined;
    const port = await serve((req, res) => {
      lastEventId = req.headers['last-event-id'];
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 8\nevent: text\n');
      setTimeout(() => res.end('data: {}\n\n'), 20);
    });
    const chunks = await client(port).events('t_1', '7', new AbortController().signal);
    let text = '';
    for await (const chunk of chunks) text += chunk;
    expect(lastEventId).toBe('7');
    expect(text).toBe('id: 8\nevent: text\ndata: {}\n\n');
  });

  it('keeps an event stream open past the connect deadline and ends it when aborted', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
    });
    const controller = new AbortController();
    const quick = new TaskClient({ port, token: TOKEN, home: '/h', connectTimeoutMs: 20 });
    const chunks = await quick.events('t_1', undefined, controller.signal);
    const read = (async () => {
      let text = '';
      try {
        for await (const chunk of chunks) text += chunk;
      } catch {
        // Aborting ends the body with an error; what was read so far is what counts.
      }
      return text;
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await Promise.race([read, 'still open'])).toBe('still open');
    controller.abort();
    expect(await read).toBe(': hello\n\n');
  });

  it('refuses an event stream the ui answers with an error', async () => {
    const port = await serve((_req, res) =>
      json(res, 503, { error: { code: 'UNAVAILABLE', message: 'bus down', retryable: true } }),
    );
    await expect(client(port).events('t_1', undefined, new AbortController().signal)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});
