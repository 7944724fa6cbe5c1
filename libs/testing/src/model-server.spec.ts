import Anthropic from '@anthropic-ai/sdk';
import type { MessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelServer } from './model-server.js';
import { reply, text, thinking, toolUse } from './replies.js';

const API_KEY = 'sk-ant-test-key';
const MODEL = 'claude-sonnet-4-6';

describe('ModelServer answering the official SDK', () => {
  let server: ModelServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await ModelServer.start({ apiKey: API_KEY });
    client = new Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
  });
  afterEach(() => {
    expect(server.problems).toEqual([]);
    server.reset();
  });
  afterAll(() => server.close());

  it('answers a non-streaming create with a complete message object and records the request', async () => {
    server.enqueue(reply(text('Hello from the stand-in.')));

    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });

    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: 'Hello from the stand-in.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBe(Math.ceil('Hello from the stand-in.'.length / 4));
    expect(message._request_id).toMatch(/^req_/);

    const [recorded] = server.modelRequests;
    // SDK 1.x sends the API key as a bearer token; the server accepts that or x-api-key.
    expect(recorded?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(recorded?.headers['anthropic-version']).toBeTruthy();
    expect(recorded?.body).toMatchObject({ model: MODEL, max_tokens: 256 });
    expect(recorded?.status).toBe(200);
  });

  it('streams a tool_use whose input arrives in several input_json_delta chunks and reassembles in finalMessage', async () => {
    const input = { path: 'reports/q3.md', lines: [1, 2, 3], options: { follow: true, note: 'ünïcode ✓' } };
    server.enqueue(reply([text('Let me read that file.'), toolUse('read_file', input)]));

    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 1024,
      tools: [
        { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: {} } },
      ],
      messages: [{ role: 'user', content: 'Open the Q3 report.' }],
    });
    const jsonChunks: string[] = [];
    stream.on('inputJson', (partial) => jsonChunks.push(partial));
    const message = await stream.finalMessage();

    expect(jsonChunks.filter((chunk) => chunk !== '').length).toBeGreaterThanOrEqual(2);
    expect(jsonChunks.join('')).toBe(JSON.stringify(input));
    expect(message.stop_reason).toBe('tool_use');
    const [first, second] = message.content;
    expect(first).toMatchObject({ type: 'text', text: 'Let me read that file.' });
    expect(second).toMatchObject({ type: 'tool_use', name: 'read_file', input });
    expect(second?.type === 'tool_use' && second.id).toMatch(/^toolu_/);
  });

  it('streams text as the documented event sequence with several text deltas', async () => {
    const answer = 'The quick brown fox jumps over the lazy dog, then naps in the afternoon sun.';
    server.enqueue(answer);

    const events: MessageStreamEvent[] = [];
    const stream = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me about the fox.' }],
    });
    for await (const event of stream) events.push(event);

    const types = events.map((event) => event.type);
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = events.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? [event.delta.text] : [],
    );
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(answer);
    const delta = events.find((event) => event.type === 'message_delta');
    expect(delta).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: Math.ceil(answer.length / 4) },
    });
  });

  it('sends the ping event real streams carry', async () => {
    server.enqueue('pong');
    const response = await client.messages
      .create({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'ping?' }] })
      .asResponse();
    const body = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(body).toContain('event: ping\ndata: {"type":"ping"}\n\n');
  });

  it('streams a thinking block with its signature before the answer', async () => {
    server.enqueue(reply([thinking('First, consider the units.', 'sig-123'), text('42 metres.')]));

    const message = await client.messages
      .stream({ model: MODEL, max_tokens: 2048, messages: [{ role: 'user', content: 'How tall?' }] })
      .finalMessage();

    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'First, consider the units.', signature: 'sig-123' },
      { type: 'text', text: '42 metres.' },
    ]);
  });

  it('lets a handler read the tool_result the caller sent and answer from it', async () => {
    server.enqueue(toolUse('get_time', { zone: 'UTC' }, 'toolu_fixed_1'));
    server.respondWith((request) => {
      const [result] = request.toolResults;
      return result?.toolUseId === 'toolu_fixed_1' && !result.isError
        ? text(`It is ${result.content} in UTC.`)
        : text('I did not get the time.');
    });
    const tools = [{ name: 'get_time', input_schema: { type: 'object' as const, properties: {} } }];
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      tools,
      messages: [{ role: 'user', content: 'What time is it?' }],
    });
    const use = first.content[0];
    expect(use).toMatchObject({ type: 'tool_use', id: 'toolu_fixed_1' });

    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      tools,
      messages: [
        { role: 'user', content: 'What time is it?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fixed_1', content: '12:00' }] },
      ],
    });

    expect(second.content).toEqual([{ type: 'text', text: 'It is 12:00 in UTC.' }]);
  });

  it('gives 20 simultaneous requests one queued reply each, in arrival order', async () => {
    const count = 20;
    server.enqueue(...Array.from({ length: count }, (_, index) => `reply ${index}`));

    const answers = await Promise.all(
      Array.from({ length: count }, (_, task) =>
        client.messages.create({
          model: MODEL,
          max_tokens: 64,
          messages: [{ role: 'user', content: `task ${task}` }],
        }),
      ),
    );

    const arrival = server.modelRequests.map((request) => JSON.stringify(request.body));
    answers.forEach((answer, task) => {
      const position = arrival.findIndex((body) => body.includes(`"task ${task}"`));
      expect(answer.content).toEqual([{ type: 'text', text: `reply ${position}` }]);
    });
    expect(new Set(answers.map((answer) => JSON.stringify(answer.content))).size).toBe(count);
    expect(server.queued).toBe(0);
  });

  it('paces a streamed answer with chunkDelayMs so it takes time', async () => {
    server.enqueue(reply(text('slow and steady wins the race in the end'), { chunkDelayMs: 25 }));
    const started = Date.now();
    const seen: number[] = [];
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'go' }],
    });
    stream.on('text', () => seen.push(Date.now() - started));
    await stream.finalMessage();

    // message_start, block start, ping, 3 deltas, block stop, message_delta, message_stop: 8 gaps of 25 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(8 * 25 - 5);
    expect(seen.length).toBe(3);
    expect((seen[2] ?? 0) - (seen[0] ?? 0)).toBeGreaterThanOrEqual(2 * 25 - 5);
  });

  it('uses the queue before the handler', async () => {
    server.respondWith(() => 'from handler').enqueue('from queue');
    const ask = () =>
      client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

    expect((await ask()).content).toEqual([{ type: 'text', text: 'from queue' }]);
    expect((await ask()).content).toEqual([{ type: 'text', text: 'from handler' }]);
  });

  it('answers max_tokens 0 (cache warming) with an empty message and leaves the queue alone', async () => {
    server.enqueue('kept for later');
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 0,
      messages: [{ role: 'user', content: 'warm up' }],
    });

    expect(message).toMatchObject({ content: [], stop_reason: 'max_tokens', usage: { output_tokens: 0 } });
    expect(server.queued).toBe(1);
    server.reset();
  });

  it('counts tokens with the same estimate a create reports', async () => {
    const params = {
      model: MODEL,
      system: 'You are terse.',
      messages: [{ role: 'user' as const, content: 'Count me, please: one two three four five six.' }],
    };
    server.enqueue('ok');
    const counted = await client.messages.countTokens(params);
    const created = await client.messages.create({ ...params, max_tokens: 16 });

    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(counted.input_tokens).toBe(created.usage.input_tokens);
    const longer = await client.messages.countTokens({
      ...params,
      messages: [{ role: 'user', content: 'Count me, please: one two three four five six. '.repeat(10) }],
    });
    expect(longer.input_tokens).toBeGreaterThan(counted.input_tokens);
  });

  it('lists and retrieves models, and 404s an unknown one', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['claude-opus-4-7', 'claude-sonnet-4-6', 'claude-haiku-4-5']);

    const page = await client.models.list({ limit: 2 });
    expect(page.data.map((model) => model.id)).toEqual(['claude-opus-4-7', 'claude-sonnet-4-6']);
    expect(page.has_more).toBe(true);

    const model = await client.models.retrieve('claude-haiku-4-5');
    expect(model).toMatchObject({ type: 'model', id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5' });
    expect(Number.isNaN(Date.parse(model.created_at))).toBe(false);

    await expect(client.models.retrieve('claude-unknown-1')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('waits for model requests to arrive', async () => {
    server.enqueue('late');
    const waiting = server.waitForModelRequests(1, { timeoutMs: 2_000 });
    const answer = client.messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });

    const [request] = await waiting;
    expect(request?.body).toMatchObject({ messages: [{ role: 'user', content: 'hi' }] });
    await answer;
  });
});
