import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelServer } from './model-server.js';

const MODEL = 'claude-sonnet-4-6';
const EPHEMERAL = { type: 'ephemeral' as const };
const SYSTEM: TextBlockParam[] = [
  { type: 'text', text: 'You are Steward. '.repeat(100), cache_control: EPHEMERAL },
];
// 1700 characters of system text: 425 tokens at four characters a token.
const SYSTEM_TOKENS = Math.ceil(SYSTEM[0]!.text.length / 4);

describe('ModelServer prompt caching figures', () => {
  let server: ModelServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await ModelServer.start();
    client = new Anthropic({ apiKey: 'sk-ant-cache', baseURL: server.url, maxRetries: 0 });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  const ask = (messages: MessageParam[], system: TextBlockParam[] = SYSTEM) =>
    client.messages.create({ model: MODEL, max_tokens: 64, system, messages });

  it('writes the prefix up to the breakpoint on the first request and reads it on the next', async () => {
    server.enqueue('one', 'two');

    const first = await ask([{ role: 'user', content: 'First question?' }]);
    const second = await ask([{ role: 'user', content: 'A different, longer second question?' }]);

    expect(first.usage).toMatchObject({
      cache_creation_input_tokens: SYSTEM_TOKENS,
      cache_read_input_tokens: 0,
      input_tokens: Math.ceil('First question?'.length / 4),
    });
    expect(second.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: SYSTEM_TOKENS,
      input_tokens: Math.ceil('A different, longer second question?'.length / 4),
    });
  });

  it('reports the same figures in a stream', async () => {
    server.enqueue('one', 'two');
    const stream = () =>
      client.messages
        .stream({ model: MODEL, max_tokens: 64, system: SYSTEM, messages: [{ role: 'user', content: 'Hi' }] })
        .finalMessage();

    const first = await stream();
    const second = await stream();

    expect(first.usage.cache_creation_input_tokens).toBe(SYSTEM_TOKENS);
    expect(second.usage.cache_read_input_tokens).toBe(SYSTEM_TOKENS);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
  });

  it('does not read a prefix that changed', async () => {
    server.enqueue('one', 'two');

    await ask([{ role: 'user', content: 'Hi' }]);
    const changed = await ask(
      [{ role: 'user', content: 'Hi' }],
      [{ ...SYSTEM[0]!, text: `${SYSTEM[0]!.text}!` }],
    );

    expect(changed.usage.cache_read_input_tokens).toBe(0);
    expect(changed.usage.cache_creation_input_tokens).toBe(SYSTEM_TOKENS + 1);
  });

  it('caches nothing without cache_control', async () => {
    server.enqueue('one', 'two');
    const plain: TextBlockParam[] = [{ type: 'text', text: SYSTEM[0]!.text }];

    await ask([{ role: 'user', content: 'Hi' }], plain);
    const again = await ask([{ role: 'user', content: 'Hi' }], plain);

    expect(again.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(again.usage.input_tokens).toBe(SYSTEM_TOKENS + 1);
  });

  it('reads the previous turn when the breakpoint moves to the newest message, as a growing conversation does', async () => {
    server.enqueue('Sure.', 'Done.');
    const turn1: MessageParam[] = [
      { role: 'user', content: [{ type: 'text', text: 'Summarise the file.', cache_control: EPHEMERAL }] },
    ];
    const first = await ask(turn1);
    const turn2: MessageParam[] = [
      { role: 'user', content: [{ type: 'text', text: 'Summarise the file.' }] },
      { role: 'assistant', content: 'Sure.' },
      { role: 'user', content: [{ type: 'text', text: 'Now shorter.', cache_control: EPHEMERAL }] },
    ];
    const second = await ask(turn2);

    const turn1Prefix = SYSTEM_TOKENS + Math.ceil('Summarise the file.'.length / 4);
    expect(first.usage.cache_creation_input_tokens).toBe(turn1Prefix);
    expect(second.usage.cache_read_input_tokens).toBe(turn1Prefix);
    expect(second.usage.cache_creation_input_tokens).toBe(
      Math.ceil('Sure.'.length / 4) + Math.ceil('Now shorter.'.length / 4),
    );
    expect(second.usage.input_tokens).toBe(0);
  });

  it('counts tokens without touching the cache', async () => {
    server.enqueue('after counting');
    const params = { model: MODEL, system: SYSTEM, messages: [{ role: 'user' as const, content: 'Hi' }] };

    const counted = await client.messages.countTokens(params);
    const created = await client.messages.create({ ...params, max_tokens: 16 });

    expect(counted.input_tokens).toBe(SYSTEM_TOKENS + 1);
    expect(created.usage.cache_creation_input_tokens).toBe(SYSTEM_TOKENS);
  });
});
