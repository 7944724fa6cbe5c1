import type { TaskStatus } from '@steward/contracts';
import type { ToolCall } from './task-state.js';

export const STATUS_LABEL: Record<TaskStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  waiting_approval: 'Waiting for approval',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

export const basename = (path: string): string => path.replace(/\/+$/, '').split('/').pop() || path;

export const firstLine = (text: string, max = 80): string => {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;

/** How a tool's calls read: done, under way (or waiting), and what they act on. */
const PHRASES: Record<string, readonly [done: string, doing: string, noun: string, nouns?: string]> = {
  read_file: ['read', 'reading', 'file'],
  list_directory: ['listed', 'listing', 'folder'],
  glob: ['searched for', 'searching for', 'file pattern'],
  grep: ['searched for', 'searching for', 'text pattern'],
  write_file: ['wrote', 'writing', 'file'],
  edit_file: ['edited', 'editing', 'file'],
  make_directory: ['made', 'making', 'folder'],
  move_path: ['moved', 'moving', 'item'],
  delete_path: ['deleted', 'deleting', 'item'],
  run_command: ['ran', 'running', 'command'],
  spawn_subagents: ['started', 'starting', 'sub-task batch', 'sub-task batches'],
  load_skill: ['loaded', 'loading', 'skill'],
};
/** Tools whose calls read the same however many there are. */
const ONCE: Record<string, readonly [done: string, doing: string]> = {
  todo_write: ['updated the plan', 'updating the plan'],
  scratchpad_write: ['took notes', 'taking notes'],
};

function phrase(tool: string, stage: 'done' | 'doing', count: number): string {
  const once = ONCE[tool];
  if (once !== undefined) return stage === 'done' ? once[0] : once[1];
  const words = PHRASES[tool];
  if (words === undefined)
    return `${stage === 'done' ? 'used' : 'using'} ${tool}${count > 1 ? ` ${count} times` : ''}`;
  return `${stage === 'done' ? words[0] : words[1]} ${plural(count, words[2], words[3])}`;
}

const FINISHED = new Set(['done', 'unknown']);

/** How a group of tool calls reads collapsed, e.g. "Read 3 files, ran 1 command". */
export function summarizeCalls(calls: readonly ToolCall[]): string {
  const counts = new Map<string, number>();
  let refused = 0;
  for (const call of calls) {
    if (call.status === 'denied') {
      refused += 1;
      continue;
    }
    const key = `${FINISHED.has(call.status ?? 'pending') ? 'done' : 'doing'}\0${call.tool}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].map(([key, count]) => {
    const [stage, tool] = key.split('\0') as ['done' | 'doing', string];
    return phrase(tool, stage, count);
  });
  if (refused > 0) parts.push(`${plural(refused, 'call')} not run`);
  const text = parts.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const field = (input: unknown, name: string): string | undefined => {
  if (typeof input !== 'object' || input === null) return undefined;
  const value = (input as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
};

/** The one thing a call acts on, as text: its command, path, pattern or query. */
export function callTarget(call: { readonly tool?: string; readonly input?: unknown }): string {
  const { input } = call;
  const from = field(input, 'from');
  const to = field(input, 'to');
  return (
    field(input, 'command') ??
    (from !== undefined && to !== undefined ? `${from} → ${to}` : undefined) ??
    field(input, 'path') ??
    field(input, 'pattern') ??
    field(input, 'query') ??
    field(input, 'name') ??
    ''
  );
}

export const commandOf = (input: unknown): string | undefined => field(input, 'command');
export const pathsOf = (input: unknown): string[] =>
  ['path', 'from', 'to', 'cwd']
    .map((name) => field(input, name))
    .filter((value): value is string => value !== undefined);

export const formatCost = (usd: number): string =>
  `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(2)}`;
export const formatTokens = (n: number): string => n.toLocaleString('en-US');

const MCP_TOOL = /^mcp__(.+?)__/;

/** Skills the task loaded (load_skill calls that ran), each once, in the order loaded. */
export function skillsOf(
  calls: readonly { readonly tool: string; readonly input?: unknown; readonly status?: string }[],
): string[] {
  const names = calls
    .filter((call) => call.tool === 'load_skill' && call.status !== 'denied')
    .map((call) => field(call.input, 'name'))
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)];
}

/** Connectors (MCP servers, by the `mcp__<server>__<tool>` names of their tools) the task used. */
export function connectorsOf(calls: readonly { readonly tool: string }[]): string[] {
  const names = calls
    .map((call) => MCP_TOOL.exec(call.tool)?.[1])
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)];
}
