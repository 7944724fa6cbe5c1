import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelServer } from './model-server.js';
import { httpError, reply, streamError, text, toolUse } from './replies.js';

const KEY = 'sk-local-openai';
const MODEL = 'qwen3:8b';

interface Chunk {
  choices: { delta: { content?: string; tool_calls?: ToolCallDelta[] }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error?: { message: string; type: string };
}
interface ToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments?: string };
}

describe('ModelServer OpenAI-compatible chat completions', () => {
  let server: ModelServer;

  beforeAll(async () => {
    server = await ModelServer.start({ apiKey: KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  const post = (body: Record<string, unknown>, key = KEY): Promise<Response> =>
    fetch(`${server.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: MODEL, ...body }),
    });

  /** The `data:` payloads of an SSE body, in order. */
  const dataLines = (body: string): string[] =>
    body
      .split('\n\n')
      .filter((event) => event.startsWith('data: '))
      .map((event) => event.slice('data: '.length));

  it('answers text as a chat.completion object', async () => {
    server.enqueue('Plain answer.');

    const response = await post({ messages: [{ role: 'user', content: 'Hi' }] });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: MODEL,
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Plain answer.' }, finish_reason: 'stop' },
      ],
      usage: { completion_tokens: Math.ceil('Plain answer.'.length / 4) },
    });
    expect(String(body['id'])).toMatch(/^chatcmpl-/);
  });

  it('answers tool_use as tool_calls with JSON arguments and finish_reason tool_calls', async () => {
    server.enqueue(reply([toolUse('search', { query: 'invoices 2026' })]));

    const response = await post({
      messages: [{ role: 'user', content: 'Find the invoices' }],
      tools: [
        { type: 'function', function: { name: 'search', parameters: { type: 'object', properties: {} } } },
      ],
    });
    const body = (await response.json()) as {
      choices: {
        message: {
          content: string | null;
          tool_calls: { id: string; function: { name: string; arguments: string } }[];
        };
        finish_reason: string;
      }[];
    };

    const [choice] = body.choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls[0]?.id).toMatch(/^call_/);
    expect(choice?.message.tool_calls[0]?.function.name).toBe('search');
    expect(JSON.parse(choice?.message.tool_calls[0]?.function.arguments ?? '')).toEqual({
      query: 'invoices 2026',
    });
  });

  it('streams content and tool call arguments as chunks ending with [DONE]', async () => {
    const input = { path: 'reports/2026/q3.xlsx', sheet: 'Summary', range: 'A1:F40' };
    server.enqueue(reply([text('Opening the spreadsheet now.'), toolUse('open_sheet', input)]));

    const response = await post({
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Open Q3' }],
    });
    const payloads = dataLines(await response.text());

    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(payloads.at(-1)).toBe('[DONE]');
    const chunks = payloads.slice(0, -1).map((payload) => JSON.parse(payload) as Chunk);
    const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    const argumentPieces = calls.map((call) => call.function.arguments ?? '').filter((piece) => piece !== '');

    expect(content).toBe('Opening the spreadsheet now.');
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'open_sheet' } });
    expect(argumentPieces.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(argumentPieces.join(''))).toEqual(input);
    const finish = chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean);
    expect(finish).toEqual(['tool_calls']);
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('shows a handler the tool messages sent after the last assistant message', async () => {
    server.respondWith((request) =>
      text(`saw ${request.toolResults.map((result) => result.content).join('+')}`),
    );

    const response = await post({
      messages: [
        { role: 'user', content: 'Add them' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'n', arguments: '{}' } },
            { id: 'call_2', type: 'function', function: { name: 'n', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '2' },
        { role: 'tool', tool_call_id: 'call_2', content: '3' },
      ],
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[] };

    expect(body.choices[0]?.message.content).toBe('saw 2+3');
  });

  it('refuses tool_calls that no tool message answers, in the OpenAI error shape', async () => {
    server.enqueue('unused');

    const response = await post({
      messages: [
        { role: 'user', content: 'Add them' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'n', arguments: '{}' } }],
        },
        { role: 'user', content: 'well?' },
      ],
    });
    const body = (await response.json()) as { error: { message: string; type: string; param: string } };

    expect(response.status).toBe(400);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain(
      'The following tool_call_ids did not have response messages: call_9',
    );
    expect(body.error.param).toBe('messages.[1].role');
    expect(server.queued).toBe(1);
  });

  it('refuses a wrong bearer token with 401', async () => {
    const response = await post({ messages: [{ role: 'user', content: 'Hi' }] }, 'sk-wrong');

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('sends scripted HTTP errors in the OpenAI error shape with their headers', async () => {
    server.enqueue(httpError(429, 'rate_limit_error', 'Too many requests.', { retryAfterSeconds: 2 }));

    const response = await post({ messages: [{ role: 'user', content: 'Hi' }] });

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({
      error: { message: 'Too many requests.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
  });

  it('sends a scripted mid-stream error as an error data line', async () => {
    server.enqueue(streamError(2, 'api_error', { message: 'Upstream died.' }));

    const response = await post({ stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    const payloads = dataLines(await response.text());

    expect(payloads).toHaveLength(3);
    expect(JSON.parse(payloads[2] ?? '{}')).toMatchObject({
      error: { message: 'Upstream died.', type: 'api_error' },
    });
  });

  it('lists models in the OpenAI shape for clients without the Anthropic version header', async () => {
    const response = await fetch(`${server.openaiBaseUrl}/models`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const body = (await response.json()) as { object: string; data: { id: string; object: string }[] };

    expect(body.object).toBe('list');
    expect(body.data.map((model) => model.id)).toContain('claude-sonnet-4-6');
    expect(body.data[0]?.object).toBe('model');
  });
});
