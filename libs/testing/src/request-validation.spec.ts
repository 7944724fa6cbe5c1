import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelServer } from './model-server.js';

const MODEL = 'claude-sonnet-4-6';
const TOOLS = [{ name: 'list_files', input_schema: { type: 'object' as const, properties: {} } }];

/** Sends a body the SDK's types may not allow, as buggy orchestrator code could. */
const loose = (body: Record<string, unknown>): MessageCreateParamsNonStreaming =>
  ({ model: MODEL, max_tokens: 128, ...body }) as unknown as MessageCreateParamsNonStreaming;

const toolUseTurn: MessageParam = {
  role: 'assistant',
  content: [
    { type: 'text', text: 'Looking.' },
    { type: 'tool_use', id: 'toolu_a1', name: 'list_files', input: {} },
    { type: 'tool_use', id: 'toolu_b2', name: 'list_files', input: { path: 'docs' } },
  ],
};

describe('ModelServer refuses requests the real API would refuse', () => {
  let server: ModelServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await ModelServer.start({
      models: [{ id: MODEL, maxOutputTokens: 64_000, maxInputTokens: 2_000 }],
    });
    // An explicit timeout stops the SDK refusing large non-streaming max_tokens itself.
    client = new Anthropic({
      apiKey: 'sk-ant-validation',
      baseURL: server.url,
      maxRetries: 0,
      timeout: 10_000,
    });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  async function refusal(
    body: MessageCreateParamsNonStreaming,
  ): Promise<InstanceType<typeof Anthropic.APIError>> {
    server.reset();
    server.enqueue('must not be used');
    const error = await client.messages.create(body).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    // A refused request never reaches the script, so the queued reply is still there.
    expect(server.queued).toBe(1);
    return error as InstanceType<typeof Anthropic.APIError>;
  }

  it('refuses an assistant tool_use left without tool_result in the next message', async () => {
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'What is here?' },
        toolUseTurn,
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_a1', content: 'a.txt' }],
        },
      ],
    });

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.type).toBe('invalid_request_error');
    expect(error.apiMessage).toBe(
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_b2. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    );
  });

  it('refuses a conversation that ends on an unanswered tool_use', async () => {
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'What is here?' }, toolUseTurn],
    });

    expect(error.apiMessage).toContain('toolu_a1, toolu_b2');
  });

  it('refuses a tool_result whose id no preceding tool_use has', async () => {
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'What is here?' },
        toolUseTurn,
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a1', content: 'a.txt' },
            { type: 'tool_result', tool_use_id: 'toolu_b2', content: 'b.txt' },
            { type: 'tool_result', tool_use_id: 'toolu_zz', content: 'stray' },
          ],
        },
      ],
    });

    expect(error.apiMessage).toBe(
      'messages.2.content.2: unexpected `tool_use_id` found in `tool_result` blocks: toolu_zz. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
    );
  });

  it('refuses text placed before the tool results that answer a tool_use', async () => {
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'What is here?' },
        toolUseTurn,
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here you go:' },
            { type: 'tool_result', tool_use_id: 'toolu_a1', content: 'a.txt' },
            { type: 'tool_result', tool_use_id: 'toolu_b2', content: 'b.txt' },
          ],
        },
      ],
    });

    expect(error.apiMessage).toMatch(/^messages\.2\.content\.1: `tool_result` blocks must come before/);
  });

  it('refuses two user messages in a row', async () => {
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      messages: [
        { role: 'user', content: 'One.' },
        { role: 'user', content: 'Two.' },
      ],
    });

    expect(error.apiMessage).toBe(
      'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
    );
  });

  it('refuses a conversation that starts with the assistant', async () => {
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      messages: [{ role: 'assistant', content: 'Hi.' }],
    });

    expect(error.apiMessage).toBe('messages: first message must use the "user" role');
  });

  it('refuses empty messages, empty content and empty text blocks', async () => {
    expect((await refusal(loose({ messages: [] }))).apiMessage).toBe(
      'messages: at least one message is required',
    );
    expect(
      (
        await refusal({
          model: MODEL,
          max_tokens: 128,
          messages: [
            { role: 'user', content: '' },
            { role: 'assistant', content: 'ok' },
          ],
        })
      ).apiMessage,
    ).toBe(
      'messages.0: all messages must have non-empty content except for the optional final assistant message',
    );
    expect(
      (
        await refusal({
          model: MODEL,
          max_tokens: 128,
          messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }],
        })
      ).apiMessage,
    ).toBe('messages: text content blocks must be non-empty');
  });

  it('refuses missing model and max_tokens, and unknown fields', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(
      (await refusal({ max_tokens: 5, messages } as unknown as MessageCreateParamsNonStreaming)).apiMessage,
    ).toBe('model: Field required');
    expect(
      (await refusal({ model: MODEL, messages } as unknown as MessageCreateParamsNonStreaming)).apiMessage,
    ).toBe('max_tokens: Field required');
    expect((await refusal(loose({ messages, max_tokens: -1 }))).apiMessage).toBe(
      'max_tokens: Input should be greater than or equal to 0',
    );
    expect((await refusal(loose({ messages, temprature: 0.2 }))).apiMessage).toBe(
      'temprature: Extra inputs are not permitted',
    );
  });

  it("refuses max_tokens above the model's output limit and prompts beyond its context window", async () => {
    const messages: MessageParam[] = [{ role: 'user', content: 'hi' }];
    expect((await refusal({ model: MODEL, max_tokens: 64_001, messages })).apiMessage).toBe(
      `max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for ${MODEL}`,
    );
    const tooLong = await refusal({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'x'.repeat(10_000) }],
    });
    expect(tooLong.apiMessage).toBe('prompt is too long: 2500 tokens > 2000 maximum');
  });

  it('refuses a tool whose input_schema is not an object schema, and duplicate tool names', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(
      (await refusal(loose({ messages, tools: [{ name: 'bad', input_schema: { type: 'string' } }] })))
        .apiMessage,
    ).toBe("tools.0.custom.input_schema.type: Input should be 'object'");
    expect((await refusal(loose({ messages, tools: [{ name: 'no_schema' }] }))).apiMessage).toBe(
      'tools.0.custom.input_schema: Field required',
    );
    expect((await refusal(loose({ messages, tools: [...TOOLS, ...TOOLS] }))).apiMessage).toBe(
      'tools: Tool names must be unique.',
    );
  });

  it('refuses more than four cache_control breakpoints', async () => {
    const marked = { type: 'ephemeral' as const };
    const error = await refusal({
      model: MODEL,
      max_tokens: 128,
      system: [1, 2, 3, 4, 5].map((n) => ({
        type: 'text' as const,
        text: `part ${n}`,
        cache_control: marked,
      })),
      messages: [{ role: 'user', content: 'hi' }],
    });

    expect(error.apiMessage).toBe('A maximum of 4 blocks with cache_control may be provided. Found 5.');
  });
});

describe('ModelServer with strictAlternation off', () => {
  it('merges consecutive user messages into one turn, as the API does, and checks tool pairing on turns', async () => {
    const server = await ModelServer.start({ strictAlternation: false });
    try {
      const client = new Anthropic({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
      server.enqueue('merged fine');
      const message = await client.messages.create({
        model: MODEL,
        max_tokens: 64,
        tools: TOOLS,
        messages: [
          { role: 'user', content: 'What is here?' },
          toolUseTurn,
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_a1', content: 'a.txt' },
              { type: 'tool_result', tool_use_id: 'toolu_b2', content: 'b.txt' },
            ],
          },
          { role: 'user', content: 'Also, hurry.' },
        ],
      });

      expect(message.content).toEqual([{ type: 'text', text: 'merged fine' }]);
    } finally {
      await server.close();
    }
  });
});
