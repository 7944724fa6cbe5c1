import { Inject, Injectable } from '@nestjs/common';
import {
  execIdOf,
  findTool,
  fsDirList,
  fsDirMake,
  fsFileEdit,
  fsFileRead,
  fsFileWrite,
  fsPathDelete,
  fsPathMove,
  fsSearchGlob,
  fsSearchGrep,
  pluginToolsCall,
  pluginToolsList,
  StewardError,
  toolInputJsonSchema,
  TOOL_CATALOG,
  vmExecRun,
  type PluginTool,
  type RpcDefinition,
  type ToolEffect,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import type { ToolSpec } from '../model/model-types.js';

/** The most a tool call's arguments may weigh, as JSON; more is refused before any bus message. */
export const MAX_ARGUMENT_CHARS = 4 * 1024 * 1024;
/** What the model is given of one result at most: the head and the tail, with a marker between. */
export const RESULT_HEAD_CHARS = 20_000;
export const RESULT_TAIL_CHARS = 8_000;

/** How long plugin-host's tool list for a task is reused before it is asked again. */
const PLUGIN_LIST_TTL_MS = 2_000;

/** Tools the orchestrator answers itself, from the task's own state. */
export const INTERNAL_TOOLS = new Set(['todo_write', 'scratchpad_write', 'spawn_subagents']);
/** Catalog tools served elsewhere that are offered only once that service offers them. */
const PLUGIN_TOOLS = new Set(['load_skill']);

/** Which RPC serves each tool the orchestrator forwards. */
const FORWARDED: Readonly<Record<string, RpcDefinition>> = {
  list_directory: fsDirList,
  read_file: fsFileRead,
  write_file: fsFileWrite,
  edit_file: fsFileEdit,
  glob: fsSearchGlob,
  grep: fsSearchGrep,
  make_directory: fsDirMake,
  move_path: fsPathMove,
  delete_path: fsPathDelete,
  run_command: vmExecRun,
};

export interface ToolOutcome {
  /** What the model is given. */
  readonly text: string;
  /** The whole result, kept on the task. */
  readonly full: string;
  readonly isError: boolean;
  /** One line for the page. */
  readonly summary: string;
  /** The failure's code, when it failed (NEEDS_APPROVAL makes the runner ask again). */
  readonly code?: string | undefined;
  readonly details?: unknown;
}

export type Validation =
  | {
      readonly ok: true;
      readonly name: string;
      /** What the call does, for the approval chain; plugin tools count as reaching out. */
      readonly effect: ToolEffect;
      readonly input: Record<string, unknown>;
    }
  | { readonly ok: false; readonly outcome: ToolOutcome };

export interface ForwardContext {
  readonly taskId: string;
  readonly toolCallId: string;
  readonly signal: AbortSignal;
  /** For delete_path: the approval the person gave for exactly this preview. */
  readonly deleteApproval?: { approvalId: string; digest: string; bulkConfirmed: boolean } | undefined;
  /** The task's folders, for plugin tools (a skill's files). */
  readonly folders?: readonly string[] | undefined;
}

/**
 * The catalog the model sees, checks of what it sends back, and forwarding of each call to the
 * service that owns the tool. Nothing here decides whether a call may run: that is the approval
 * chain's, before `forward` is ever reached.
 */
@Injectable()
export class ToolExecutor {
  private readonly specs: readonly ToolSpec[];

  constructor(@Inject(BusClient) private readonly bus: BusClient) {
    this.specs = TOOL_CATALOG.filter((tool) => !PLUGIN_TOOLS.has(tool.name)).map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: { ...toolInputJsonSchema(tool) },
    }));
  }

  /** The tools a task is offered; sub-agents get no spawn_subagents of their own. */
  tools(options: { subagent: boolean }): readonly ToolSpec[] {
    return options.subagent ? this.specs.filter((spec) => spec.name !== 'spawn_subagents') : this.specs;
  }

  /**
   * The built-in tools plus what plugin-host offers right now (MCP tools, load_skill). plugin-host
   * not answering — not running, no plugins — leaves the built-in tools; it never fails a turn.
   */
  async offered(options: {
    subagent: boolean;
    taskId: string;
    signal: AbortSignal;
  }): Promise<readonly ToolSpec[]> {
    const builtIn = this.tools(options);
    const plugins = await this.pluginTools(options.taskId, options.signal);
    const taken = new Set(builtIn.map((spec) => spec.name));
    const extra = plugins
      .filter((tool) => !taken.has(tool.name))
      .map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.inputSchema }));
    return extra.length === 0 ? builtIn : [...builtIn, ...extra];
  }

  /** An unknown tool, malformed or oversized arguments: an error result, before any bus message. */
  validate(name: string, input: unknown, offered: readonly ToolSpec[]): Validation {
    const elided = elidedSize(input);
    if (elided !== undefined) return tooLarge(name, elided);
    if (!offered.some((spec) => spec.name === name)) {
      return refuse(
        'UNKNOWN_TOOL',
        `there is no tool named "${name}". The tools are: ${offered.map((spec) => spec.name).join(', ')}.`,
      );
    }
    const tool = findTool(name);
    let size: number;
    try {
      size = JSON.stringify(input ?? null).length;
    } catch {
      return refuse('INVALID_INPUT', 'the arguments are not JSON');
    }
    if (size > MAX_ARGUMENT_CHARS) return tooLarge(name, size);
    if (tool === undefined) {
      // A plugin tool: its server checks the arguments against its own schema.
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        return refuse('INVALID_INPUT', `the arguments of ${name} must be an object`);
      }
      return { ok: true, name, effect: 'execute', input: input as Record<string, unknown> };
    }
    const parsed = tool.input.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`)
        .join('; ');
      return refuse('INVALID_INPUT', `the arguments of ${name} do not fit its schema: ${problems}`);
    }
    return { ok: true, name, effect: tool.effect, input: parsed.data as Record<string, unknown> };
  }

  /** Sends one validated call to the service that owns it; failures come back as error results. */
  async forward(name: string, input: Record<string, unknown>, context: ForwardContext): Promise<ToolOutcome> {
    const rpc = FORWARDED[name];
    if (rpc === undefined) return this.forwardToPlugin(name, input, context);
    const request: Record<string, unknown> = { ...input, taskId: context.taskId };
    if (name === 'run_command') request['execId'] = execIdOf(context.toolCallId);
    if (name === 'delete_path' && context.deleteApproval !== undefined) {
      request['approval'] = context.deleteApproval;
    }
    try {
      const reply = (await this.bus.request(rpc, request, { signal: context.signal })) as {
        output?: unknown;
      };
      const output = typeof reply.output === 'string' ? reply.output : JSON.stringify(reply);
      const failed = name === 'run_command' && isFailedRun(reply);
      return {
        ...clip(output),
        isError: failed,
        summary: summarize(name, input, output, failed),
      };
    } catch (error) {
      return failedOutcome(error);
    }
  }

  /** Asked at most every {@link PLUGIN_LIST_TTL_MS} per task: a turn should not wait on it. */
  private readonly pluginLists = new Map<string, { at: number; tools: Promise<readonly PluginTool[]> }>();

  private pluginTools(taskId: string, signal: AbortSignal): Promise<readonly PluginTool[]> {
    const cached = this.pluginLists.get(taskId);
    if (cached !== undefined && Date.now() - cached.at < PLUGIN_LIST_TTL_MS) return cached.tools;
    const tools = this.bus
      .request(pluginToolsList, { taskId }, { signal })
      .then((reply): readonly PluginTool[] => reply.tools)
      .catch((): readonly PluginTool[] => []);
    for (const [id, entry] of this.pluginLists)
      if (Date.now() - entry.at >= PLUGIN_LIST_TTL_MS) this.pluginLists.delete(id);
    this.pluginLists.set(taskId, { at: Date.now(), tools });
    return tools;
  }

  private async forwardToPlugin(
    name: string,
    input: Record<string, unknown>,
    context: ForwardContext,
  ): Promise<ToolOutcome> {
    try {
      const reply = await this.bus.request(
        pluginToolsCall,
        {
          taskId: context.taskId,
          toolCallId: context.toolCallId,
          name,
          input,
          ...(context.folders === undefined ? {} : { folders: [...context.folders] }),
        },
        { signal: context.signal },
      );
      return {
        ...clip(reply.output),
        isError: reply.isError,
        summary: summarize(name, input, reply.output, reply.isError),
      };
    } catch (error) {
      return failedOutcome(error);
    }
  }
}

/** A failed bus request as the model's error result: the code and the message it can act on. */
function failedOutcome(error: unknown): ToolOutcome {
  const failure =
    error instanceof StewardError ? error : new StewardError('INTERNAL', String(error), { cause: error });
  const text = `${failure.code}: ${failure.message}`;
  return {
    ...clip(text),
    isError: true,
    summary: text.slice(0, 200),
    code: failure.code,
    details: failure.details,
  };
}

function isFailedRun(reply: unknown): boolean {
  const run = reply as { exitCode?: number | null; timedOut?: boolean; cancelled?: boolean };
  return run.exitCode !== 0 || run.timedOut === true || run.cancelled === true;
}

const ELIDED = '__steward_elided_characters__';

/**
 * A tool call whose arguments are too large is kept in the conversation without them: sent back
 * on every later turn they would fill the context window (or exceed it) for a call that never ran.
 */
export function elideOversized<T extends { type: string; input?: unknown }>(block: T): T {
  if (block.type !== 'tool_use') return block;
  let size: number;
  try {
    size = JSON.stringify(block.input ?? null).length;
  } catch {
    return { ...block, input: { [ELIDED]: -1 } };
  }
  return size > MAX_ARGUMENT_CHARS ? { ...block, input: { [ELIDED]: size } } : block;
}

function elidedSize(input: unknown): number | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const size = (input as Record<string, unknown>)[ELIDED];
  return typeof size === 'number' ? size : undefined;
}

function tooLarge(name: string, size: number): Validation {
  return size < 0
    ? refuse('INVALID_INPUT', 'the arguments are not JSON')
    : refuse(
        'TOO_LARGE',
        `the arguments are ${size} characters; ${name} takes at most ${MAX_ARGUMENT_CHARS}. Write large content in parts.`,
      );
}

function refuse(code: string, message: string): Validation {
  const text = `${code}: ${message}`;
  return { ok: false, outcome: { text, full: text, isError: true, summary: text.slice(0, 200), code } };
}

/** Head and tail of a long result, with what was left out said in between. */
export function clip(text: string): { text: string; full: string } {
  if (text.length <= RESULT_HEAD_CHARS + RESULT_TAIL_CHARS) return { text, full: text };
  const omitted = text.length - RESULT_HEAD_CHARS - RESULT_TAIL_CHARS;
  return {
    text:
      `${text.slice(0, RESULT_HEAD_CHARS)}\n\n[… ${omitted} characters left out; the whole result is kept on the task …]\n\n` +
      text.slice(text.length - RESULT_TAIL_CHARS),
    full: text,
  };
}

function summarize(name: string, input: Record<string, unknown>, output: string, failed: boolean): string {
  const target = ['path', 'from', 'command', 'pattern']
    .map((field) => input[field])
    .find((value): value is string => typeof value === 'string');
  const firstLine = output.split('\n', 1)[0] ?? '';
  const head = `${name}${target === undefined ? '' : ` ${target.slice(0, 120)}`}`;
  return `${failed ? 'failed: ' : ''}${head} — ${firstLine.slice(0, 120)}`;
}
