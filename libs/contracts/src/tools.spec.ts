import { describe, expect, it } from 'vitest';
import { StewardError } from './errors.js';
import {
  MCP_TOOL_NAME_PATTERN,
  TOOL_CATALOG,
  TOOL_LIMITS,
  findTool,
  mcpToolName,
  parseMcpToolName,
  toolInputJsonSchema,
  type ToolEffect,
  type ToolName,
} from './tools.js';
import type { ServiceName } from './services.js';

interface Documented {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly servedBy: ServiceName;
  readonly effect: ToolEffect;
  readonly paths: readonly string[];
  readonly valid: Record<string, unknown>;
}

/** ARCHITECTURE §4, written out independently of the catalog. */
const DOCUMENTED: Readonly<Record<ToolName, Documented>> = {
  list_directory: {
    required: ['path'],
    optional: ['depth'],
    servedBy: 'fs-service',
    effect: 'read',
    paths: ['path'],
    valid: { path: '/home/ana/Reports', depth: 2 },
  },
  read_file: {
    required: ['path'],
    optional: ['offset', 'limit'],
    servedBy: 'fs-service',
    effect: 'read',
    paths: ['path'],
    valid: { path: '/home/ana/Reports/q3.md', offset: 0, limit: 200 },
  },
  write_file: {
    required: ['path', 'content'],
    optional: [],
    servedBy: 'fs-service',
    effect: 'write',
    paths: ['path'],
    valid: { path: '/home/ana/Reports/q3.md', content: '# Q3\n' },
  },
  edit_file: {
    required: ['path', 'old_string', 'new_string'],
    optional: ['replace_all'],
    servedBy: 'fs-service',
    effect: 'write',
    paths: ['path'],
    valid: { path: '/home/ana/Reports/q3.md', old_string: 'Q3', new_string: 'Q4', replace_all: true },
  },
  glob: {
    required: ['pattern'],
    optional: ['path'],
    servedBy: 'fs-service',
    effect: 'read',
    paths: ['path'],
    valid: { pattern: '**/*.xlsx', path: '/home/ana/Reports' },
  },
  grep: {
    required: ['pattern'],
    optional: ['path', 'glob'],
    servedBy: 'fs-service',
    effect: 'read',
    paths: ['path'],
    valid: { pattern: 'invoice \\d+', path: '/home/ana/Reports', glob: '*.md' },
  },
  make_directory: {
    required: ['path'],
    optional: [],
    servedBy: 'fs-service',
    effect: 'write',
    paths: ['path'],
    valid: { path: '/home/ana/Reports/2026' },
  },
  move_path: {
    required: ['from', 'to'],
    optional: [],
    servedBy: 'fs-service',
    effect: 'write',
    paths: ['from', 'to'],
    valid: { from: '/home/ana/Reports/a.md', to: '/home/ana/Reports/b.md' },
  },
  delete_path: {
    required: ['path'],
    optional: [],
    servedBy: 'fs-service',
    effect: 'delete',
    paths: ['path'],
    valid: { path: '/home/ana/Reports/old.md' },
  },
  run_command: {
    required: ['command'],
    optional: ['cwd', 'timeout_ms'],
    servedBy: 'vm-service',
    effect: 'execute',
    paths: ['cwd'],
    valid: { command: 'python3 make_chart.py', cwd: '/home/ana/Reports', timeout_ms: 60_000 },
  },
  todo_write: {
    required: ['todos'],
    optional: [],
    servedBy: 'orchestrator',
    effect: 'internal',
    paths: [],
    valid: { todos: [{ content: 'Read the invoices', status: 'in_progress' }] },
  },
  scratchpad_write: {
    required: ['content'],
    optional: [],
    servedBy: 'orchestrator',
    effect: 'internal',
    paths: [],
    valid: { content: 'Totals so far: 1,204 EUR' },
  },
  spawn_subagents: {
    required: ['tasks'],
    optional: [],
    servedBy: 'orchestrator',
    effect: 'internal',
    paths: [],
    valid: { tasks: [{ description: 'Summarise Q3', prompt: 'Summarise /home/ana/Reports/q3.md' }] },
  },
  load_skill: {
    required: ['name'],
    optional: [],
    servedBy: 'plugin-host',
    effect: 'internal',
    paths: [],
    valid: { name: 'xlsx' },
  },
};

const TOOLS = TOOL_CATALOG.map((tool) => [tool.name, tool] as const);

function accepts(name: ToolName, input: unknown): boolean {
  return findTool(name).input.safeParse(input).success;
}

describe('TOOL_CATALOG', () => {
  it('holds exactly the documented tools, each name once', () => {
    const names = TOOL_CATALOG.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(DOCUMENTED).sort());
  });

  it.each(TOOLS)('%s has a JSON schema of type object with the documented fields', (name, tool) => {
    const schema = toolInputJsonSchema(tool);
    expect(schema.type).toBe('object');
    expect(schema).not.toHaveProperty('$schema');
    expect(schema.additionalProperties).toBe(false);
    expect([...(schema.required ?? [])].sort()).toEqual([...DOCUMENTED[name].required].sort());
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(
      [...DOCUMENTED[name].required, ...DOCUMENTED[name].optional].sort(),
    );
  });

  it.each(TOOLS)('%s is served by the documented service with the documented effect', (name, tool) => {
    expect(tool.servedBy).toBe(DOCUMENTED[name].servedBy);
    expect(tool.effect).toBe(DOCUMENTED[name].effect);
  });

  it('marks delete_path as a delete, so the approval chain always asks', () => {
    expect(findTool('delete_path').effect).toBe('delete');
  });

  it.each(TOOLS)('%s accepts a documented input and rejects an unknown property', (name) => {
    const valid = DOCUMENTED[name].valid;
    expect(accepts(name, valid)).toBe(true);
    expect(accepts(name, { ...valid, sudo: true })).toBe(false);
  });

  it.each(TOOLS.filter(([name]) => DOCUMENTED[name].paths.length > 0))(
    '%s rejects oversized and relative paths and tells the model paths are absolute and confined',
    (name, tool) => {
      const valid = DOCUMENTED[name].valid;
      for (const field of DOCUMENTED[name].paths) {
        expect(accepts(name, { ...valid, [field]: `/${'a'.repeat(TOOL_LIMITS.pathLength)}` })).toBe(false);
        expect(accepts(name, { ...valid, [field]: 'Reports/q3.md' })).toBe(false);
      }
      expect(tool.description).toMatch(/absolute/i);
      expect(tool.description).toMatch(/connected to this task/);
      expect(tool.description).toMatch(/OUTSIDE_ROOT/);
    },
  );

  it('bounds the sizes a model could abuse', () => {
    const over = (limit: number) => 'x'.repeat(limit + 1);
    expect(accepts('write_file', { path: '/a', content: over(TOOL_LIMITS.contentLength) })).toBe(false);
    expect(accepts('run_command', { command: over(TOOL_LIMITS.commandLength) })).toBe(false);
    expect(accepts('run_command', { command: 'true', timeout_ms: TOOL_LIMITS.commandTimeoutMs + 1 })).toBe(
      false,
    );
    expect(accepts('run_command', { command: 'true', timeout_ms: 0 })).toBe(false);
    const todo = { content: 'step', status: 'pending' };
    expect(accepts('todo_write', { todos: Array.from({ length: TOOL_LIMITS.todos }, () => todo) })).toBe(
      true,
    );
    expect(accepts('todo_write', { todos: Array.from({ length: TOOL_LIMITS.todos + 1 }, () => todo) })).toBe(
      false,
    );
    expect(accepts('todo_write', { todos: [{ content: 'step', status: 'done' }] })).toBe(false);
    const task = { description: 'part', prompt: 'do the part' };
    expect(accepts('spawn_subagents', { tasks: [] })).toBe(false);
    expect(
      accepts('spawn_subagents', {
        tasks: Array.from({ length: TOOL_LIMITS.subagentTasks + 1 }, () => task),
      }),
    ).toBe(false);
    expect(accepts('edit_file', { path: '/a', old_string: '', new_string: 'x' })).toBe(false);
    expect(accepts('read_file', { path: '/a', offset: -1 })).toBe(false);
    expect(accepts('read_file', { path: '/a', limit: TOOL_LIMITS.readLines + 1 })).toBe(false);
    expect(accepts('list_directory', { path: '/a', depth: 11 })).toBe(false);
    expect(accepts('load_skill', { name: '../../etc/passwd' })).toBe(false);
  });

  it('finds tools by name and nothing for an unknown name', () => {
    expect(findTool('read_file').name).toBe('read_file');
    expect(findTool('rm_rf')).toBeUndefined();
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(TOOL_CATALOG)).toBe(true);
    expect(Object.isFrozen(findTool('delete_path'))).toBe(true);
  });
});

describe('MCP tool names', () => {
  it('round-trips server and tool through mcp__<server>__<tool>', () => {
    for (const [server, tool] of [
      ['github', 'create_issue'],
      ['google-drive', 'search'],
      ['my_server', '__private__'],
      ['a', 'b'],
    ] as const) {
      const name = mcpToolName(server, tool);
      expect(name).toBe(`mcp__${server}__${tool}`);
      expect(name).toMatch(MCP_TOOL_NAME_PATTERN);
      expect(parseMcpToolName(name)).toEqual({ server, tool });
    }
  });

  it('refuses server names that would not split back the same way', () => {
    for (const [server, tool] of [
      ['my__server', 'x'],
      ['server_', 'x'],
      ['_server', 'x'],
      ['', 'x'],
      ['files', ''],
      ['files.io', 'x'],
      ['files', 'read file'],
      ['files', 'x'.repeat(TOOL_LIMITS.toolNameLength)],
    ] as const) {
      expect(() => mcpToolName(server, tool)).toThrow(StewardError);
    }
  });

  it('parses nothing out of names that are not MCP tool names', () => {
    for (const name of [
      'read_file',
      'mcp__github',
      'mcp__github__',
      'mcp____tool',
      'mcp__git.hub__x',
      'mcp__github__create issue',
      'MCP__github__x',
      `mcp__github__${'x'.repeat(TOOL_LIMITS.toolNameLength)}`,
    ]) {
      expect(parseMcpToolName(name)).toBeUndefined();
    }
  });

  it('keeps built-in names clear of the MCP namespace and within the model APIs limit', () => {
    for (const tool of TOOL_CATALOG) {
      expect(tool.name).toMatch(/^[a-z][a-z_]*$/);
      expect(tool.name.length).toBeLessThanOrEqual(TOOL_LIMITS.toolNameLength);
      expect(parseMcpToolName(tool.name)).toBeUndefined();
    }
  });
});
