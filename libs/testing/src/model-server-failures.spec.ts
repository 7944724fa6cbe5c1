import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelServer } from './model-server.js';
import { cut, hang, httpError, reply, streamError, text, toolUse } from './replies.js';

const API_KEY = 'sk-ant-failures';
const MODEL = 'claude-sonnet-4-6';
const ASK = { model: MODEL, max_tokens: 256, messages: [{ role: 'user' as const, content: 'Hello?' }] };

describe('ModelServer failure replies, as the official SDK sees them', () => {
  let server: ModelServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await ModelServer.start({ apiKey: API_KEY });
    client = new Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('has the SDK wait the retry-after seconds of a 429, then succeed on the retry', async () => {
    // 0.6 s is longer than the SDK's own first backoff (at most 0.5 s), so the gap proves the header was used.
    server.enqueue(
      httpError(429, 'rate_limit_error', undefined, { retryAfterSeconds: 0.6 }),
      'after the wait',
    );
    const retrying = client.withOptions({ maxRetries: 2 });

    const message = await retrying.messages.create(ASK);

    expect(message.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    const [limited, retried] = server.modelRequests;
    expect(server.modelRequests).toHaveLength(2);
    expect(limited?.status).toBe(429);
    expect(retried?.headers['x-stainless-retry-count']).toBe('1');
    expect((retried?.time ?? 0) - (limited?.time ?? 0)).toBeGreaterThanOrEqual(590);
  });

  it('has retry-after-ms take precedence over retry-after', async () => {
    // Were the 30 s retry-after used, this test would time out.
    server.enqueue(
      httpError(429, 'rate_limit_error', undefined, { retryAfterMs: 20, retryAfterSeconds: 30 }),
      httpError(529, 'overloaded_error', undefined, { retryAfterMs: 20 }),
      'third time lucky',
    );

    const message = await client.withOptions({ maxRetries: 2 }).messages.create(ASK);

    expect(message.content).toEqual([{ type: 'text', text: 'third time lucky' }]);
    expect(server.modelRequests.map((request) => request.status)).toEqual([429, 529, 200]);
  });

  it('surfaces a 429 as RateLimitError with the API error body and request id', async () => {
    server.enqueue(httpError(429, 'rate_limit_error', 'Slow down.', { retryAfterSeconds: 1 }));

    const error = await client.messages.create(ASK).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const rateLimited = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rateLimited.type).toBe('rate_limit_error');
    expect(rateLimited.apiMessage).toBe('Slow down.');
    expect(rateLimited.requestID).toMatch(/^req_/);
    expect(rateLimited.headers.get('retry-after')).toBe('1');
    expect(rateLimited.error).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Slow down.' },
      request_id: rateLimited.requestID,
    });
  });

  it('surfaces 529 as OverloadedError', async () => {
    server.enqueue(httpError(529, 'overloaded_error'));

    const error = await client.messages.create(ASK).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });

  it('obeys x-should-retry: false even on a status the SDK would retry', async () => {
    server.enqueue(httpError(500, 'api_error', 'Do not retry me.', { shouldRetry: false }), 'unused');

    await expect(client.withOptions({ maxRetries: 2 }).messages.create(ASK)).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    expect(server.modelRequests).toHaveLength(1);
  });

  it('turns an error event in the middle of a stream into an SDK APIError after the earlier events', async () => {
    // message_start, content_block_start, ping, one text delta, then the error.
    server.enqueue(
      streamError(4, 'overloaded_error', { reply: reply(text('Partial answer that never finishes.')) }),
    );
    const seen: string[] = [];
    const stream = client.messages.stream(ASK);
    stream.on('text', (delta) => seen.push(delta));

    const error = await stream.finalMessage().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    expect((error as InstanceType<typeof Anthropic.APIError>).apiMessage).toBe('Overloaded');
    expect(seen).toHaveLength(1);
  });

  it('answers a streamError scripted for a non-streaming request with the matching HTTP error', async () => {
    server.enqueue(streamError(2, 'api_error'));

    await expect(client.messages.create(ASK)).rejects.toBeInstanceOf(Anthropic.InternalServerError);
  });

  it('makes the SDK fail when the connection is cut inside a tool_use input', async () => {
    const input = { path: 'notes.md', content: 'line\n'.repeat(200) };
    server.enqueue(cut(reply([text('Writing it now.'), toolUse('write_file', input)]), { atBlock: 1 }));
    const jsonChunks: string[] = [];
    const stream = client.messages.stream(ASK);
    stream.on('inputJson', (partial) => jsonChunks.push(partial));

    const error = await stream.finalMessage().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.AnthropicError);
    expect(error).not.toBeInstanceOf(Anthropic.APIUserAbortError);
    const received = jsonChunks.join('');
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(JSON.stringify(input).length);
    expect(server.modelRequests[0]?.clientAborted).toBe(true);
  });

  it('makes a non-streaming create fail when its JSON body is cut short', async () => {
    server.enqueue(cut('This body will not arrive whole.'));

    const error = await client.messages.create(ASK).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(server.modelRequests).toHaveLength(1);
  });

  it('hangs a stream until the caller aborts, which the SDK reports as APIUserAbortError', async () => {
    server.enqueue(hang());
    const controller = new AbortController();
    const stream = client.messages.stream(ASK, { signal: controller.signal });
    await server.waitForModelRequests(1);
    setTimeout(() => controller.abort(), 50);

    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await expect.poll(() => server.modelRequests[0]?.clientAborted).toBe(true);
  });

  it('hangs a non-streaming create until the caller aborts', async () => {
    server.enqueue(hang());
    const controller = new AbortController();
    const pending = client.messages.create(ASK, { signal: controller.signal });
    await server.waitForModelRequests(1);
    setTimeout(() => controller.abort(), 50);

    await expect(pending).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
  });

  it('stops a slow stream when the caller aborts part way', async () => {
    server.enqueue(reply(text('word '.repeat(200)), { chunkDelayMs: 20 }));
    const stream = client.messages.stream(ASK);
    stream.once('text', () => stream.abort());

    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await expect.poll(() => server.modelRequests[0]?.clientAborted).toBe(true);
  });

  it('answers 500 with a clear message, without SDK retries, when the test scripted no reply', async () => {
    const error = await client
      .withOptions({ maxRetries: 2 })
      .messages.create(ASK)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as Error).message).toContain('the test scripted no reply');
    expect(server.modelRequests).toHaveLength(1);
    expect(server.problems).toHaveLength(1);
  });

  it('reports a handler that throws as a problem and a 500', async () => {
    server.respondWith(() => {
      throw new Error('assertion inside the handler failed');
    });

    await expect(client.messages.create(ASK)).rejects.toThrow(
      /handler threw.*assertion inside the handler failed/,
    );
    expect(server.problems[0]).toContain('assertion inside the handler failed');
  });

  it('refuses a wrong API key with 401 authentication_error', async () => {
    const stranger = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: server.url, maxRetries: 0 });

    const error = await stranger.messages.create(ASK).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.APIError>).apiMessage).toBe('invalid x-api-key');
  });

  it('accepts the key as x-api-key too', async () => {
    server.enqueue('welcome');
    const viaHeader = new Anthropic({
      apiKey: null,
      baseURL: server.url,
      maxRetries: 0,
      defaultHeaders: { 'x-api-key': API_KEY },
    });

    const message = await viaHeader.messages.create(ASK);

    expect(message.content).toEqual([{ type: 'text', text: 'welcome' }]);
  });

  it('refuses a request without the anthropic-version header', async () => {
    const versionless = new Anthropic({
      apiKey: API_KEY,
      baseURL: server.url,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-version': null },
    });

    await expect(versionless.messages.create(ASK)).rejects.toThrow(/anthropic-version: header is required/);
  });

  it('answers 413 request_too_large for a body over the limit', async () => {
    const small = await ModelServer.start({ maxBodyBytes: 4096 });
    try {
      const tiny = new Anthropic({ apiKey: 'any', baseURL: small.url, maxRetries: 0 });
      const error = await tiny.messages
        .create({ ...ASK, messages: [{ role: 'user', content: 'x'.repeat(10_000) }] })
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(Anthropic.ContentTooLargeError);
      expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('request_too_large');
    } finally {
      await small.close();
    }
  });
});
