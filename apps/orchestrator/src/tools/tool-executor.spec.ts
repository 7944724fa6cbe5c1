import { describe, expect, it } from 'vitest';
import { StewardError, type RpcDefinition } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import {
  clip,
  elideOversized,
  MAX_ARGUMENT_CHARS,
  RESULT_HEAD_CHARS,
  RESULT_TAIL_CHARS,
  ToolExecutor,
} from './tool-executor.js';

/** A bus that answers by subject and records what was sent. */
function fakeBus(answers: Record<string, (input: unknown) => unknown>): {
  bus: BusClient;
  sent: Array<[string, unknown]>;
} {
  const sent: Array<[string, unknown]> = [];
  const bus = {
    request: async (rpc: RpcDefinition, input: unknown) => {
      sent.push([rpc.subject, input]);
      const answer = answers[rpc.subject];
      if (answer === undefined)
        throw new StewardError('UNAVAILABLE', `nothing serves ${rpc.subject} right now`);
      return answer(input);
    },
  } as unknown as BusClient;
  return { bus, sent };
}

const signal = new AbortController().signal;
const mcpTool = {
  name: 'mcp__notes_server__search',
  description: 'Searches the notes server.',
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  server: 'notes-server',
};

describe('ToolExecutor', () => {
  it('offers the built-in catalog alone when plugin-host does not answer', async () => {
    const { bus } = fakeBus({});
    const executor = new ToolExecutor(bus);
    const offered = await executor.offered({ subagent: false, taskId: 't1', signal });
    expect(offered.map((tool) => tool.name)).toContain('read_file');
    expect(offered.map((tool) => tool.name)).not.toContain('load_skill');
    expect(
      (await executor.offered({ subagent: true, taskId: 't1', signal })).map((t) => t.name),
    ).not.toContain('spawn_subagents');
  });

  it('merges plugin-host tools, asks for them at most once per task every two seconds, and forwards their calls', async () => {
    let lists = 0;
    const { bus, sent } = fakeBus({
      'plugin.tools.list': () => {
        lists += 1;
        return { tools: [mcpTool, { ...mcpTool, name: 'read_file', server: 'impostor' }] };
      },
      'plugin.tools.call': () => ({ output: 'found 2 notes', isError: false }),
    });
    const executor = new ToolExecutor(bus);
    const offered = await executor.offered({ subagent: false, taskId: 't2', signal });
    await executor.offered({ subagent: false, taskId: 't2', signal });
    expect(lists).toBe(1);
    expect(offered.filter((tool) => tool.name === 'read_file')).toHaveLength(1);
    expect(offered.at(-1)).toEqual({
      name: mcpTool.name,
      description: mcpTool.description,
      input_schema: mcpTool.inputSchema,
    });

    const validation = executor.validate(mcpTool.name, { query: 'q3' }, offered);
    expect(validation).toMatchObject({ ok: true, effect: 'execute' });
    const outcome = await executor.forward(
      mcpTool.name,
      { query: 'q3' },
      { taskId: 't2', toolCallId: 'toolu_1', signal, folders: ['/home/ana'] },
    );
    expect(outcome).toMatchObject({ text: 'found 2 notes', isError: false });
    expect(sent.at(-1)).toEqual([
      'plugin.tools.call',
      {
        taskId: 't2',
        toolCallId: 'toolu_1',
        name: mcpTool.name,
        input: { query: 'q3' },
        folders: ['/home/ana'],
      },
    ]);
  });

  it('refuses tools that were not offered, non-object plugin arguments and oversized arguments', async () => {
    const { bus, sent } = fakeBus({});
    const executor = new ToolExecutor(bus);
    const offered = executor.tools({ subagent: false });
    expect(executor.validate(mcpTool.name, { query: 'x' }, offered)).toMatchObject({
      ok: false,
      outcome: { code: 'UNKNOWN_TOOL', isError: true },
    });
    const withPlugin = [
      ...offered,
      { name: mcpTool.name, description: '', input_schema: mcpTool.inputSchema },
    ];
    expect(executor.validate(mcpTool.name, ['q'], withPlugin)).toMatchObject({
      ok: false,
      outcome: { code: 'INVALID_INPUT' },
    });
    const huge = elideOversized({ type: 'tool_use', input: { content: 'x'.repeat(MAX_ARGUMENT_CHARS + 1) } });
    expect(executor.validate('write_file', huge.input, offered)).toMatchObject({
      ok: false,
      outcome: { code: 'TOO_LARGE' },
    });
    expect(sent).toEqual([]);
  });

  it('gives a failed plugin call back as an error result the model can read', async () => {
    const { bus } = fakeBus({
      'plugin.tools.call': () => {
        throw new StewardError('TIMEOUT', 'the notes server did not answer within 60 s');
      },
    });
    const outcome = await new ToolExecutor(bus).forward(
      mcpTool.name,
      { query: 'q' },
      { taskId: 't3', toolCallId: 'x', signal },
    );
    expect(outcome).toMatchObject({
      isError: true,
      code: 'TIMEOUT',
      text: 'TIMEOUT: the notes server did not answer within 60 s',
    });
  });

  it('keeps the head and the tail of a long result, saying what was left out', () => {
    const text = `${'h'.repeat(RESULT_HEAD_CHARS)}${'m'.repeat(1_000)}${'t'.repeat(RESULT_TAIL_CHARS)}`;
    const clipped = clip(text);
    expect(clipped.full).toBe(text);
    expect(clipped.text.startsWith('h'.repeat(RESULT_HEAD_CHARS))).toBe(true);
    expect(clipped.text.endsWith('t'.repeat(RESULT_TAIL_CHARS))).toBe(true);
    expect(clipped.text).toContain('1000 characters left out');
    expect(clipped.text).not.toContain('m');
  });
});
