import { z } from 'zod';
import { StewardError } from './errors.js';
import { absolutePathSchema } from './rpcs/workspace.js';
import type { ServiceName } from './services.js';

/**
 * What a tool does to the world, for the approval chain: `read` touches nothing, `write` changes
 * files, `delete` removes them, `execute` runs code, `internal` only changes the task's own state.
 */
export const TOOL_EFFECTS = ['read', 'write', 'execute', 'delete', 'internal'] as const;
export type ToolEffect = (typeof TOOL_EFFECTS)[number];

export const TOOL_LIMITS = {
  pathLength: 4096,
  patternLength: 4096,
  /**
   * Characters, not bytes: what the model writes is a JSON string. Even at 3 UTF-8 bytes each it
   * stays under the bus's payload limit (BUS_MAX_PAYLOAD_BYTES), and far above what a model writes
   * in one call.
   */
  contentLength: 2 * 1024 * 1024,
  /** Each of edit_file's two strings. */
  editStringLength: 1024 * 1024,
  commandLength: 64 * 1024,
  scratchpadLength: 1024 * 1024,
  todos: 100,
  todoLength: 2_000,
  subagentTasks: 16,
  subagentDescriptionLength: 200,
  subagentPromptLength: 100_000,
  skillNameLength: 128,
  listDepth: 10,
  readLines: 10_000,
  commandTimeoutMs: 3_600_000,
  /** The tightest tool-name limit among the model APIs Steward speaks (Anthropic, OpenAI-compatible). */
  toolNameLength: 64,
} as const;

export interface ToolDefinition<Name extends string = string, Input extends z.ZodType = z.ZodType> {
  readonly name: Name;
  /** Shown to the model as the tool's description. */
  readonly description: string;
  /** Validated before any work; its JSON Schema is what the model is shown. */
  readonly input: Input;
  readonly servedBy: ServiceName;
  readonly effect: ToolEffect;
}

function defineTool<const Name extends string, Input extends z.ZodType>(
  tool: ToolDefinition<Name, Input>,
): ToolDefinition<Name, Input> {
  return Object.freeze(tool);
}

const PATH_RULE =
  'Paths are absolute (for example /home/ana/Reports/q3.xlsx) and must be inside one of the folders ' +
  'connected to this task; a path outside them, including one reached through a symlink, is refused ' +
  'with OUTSIDE_ROOT.';

const pathField = (what: string) =>
  absolutePathSchema.describe(`${what} Absolute, inside a connected folder.`);

const patternField = (what: string) => z.string().min(1).max(TOOL_LIMITS.patternLength).describe(what);

const listDirectory = defineTool({
  name: 'list_directory',
  servedBy: 'fs-service',
  effect: 'read',
  description:
    'Lists the files and subdirectories in a directory. With depth above 1 it also lists the contents ' +
    `of subdirectories, down to ${TOOL_LIMITS.listDepth} ` +
    `levels. Use it to find your way around a connected folder before reading or changing files. ${PATH_RULE}`,
  input: z
    .object({
      path: pathField('The directory to list.'),
      depth: z
        .number()
        .int()
        .min(1)
        .max(TOOL_LIMITS.listDepth)
        .optional()
        .describe('How many levels to descend; 1 (the default) lists only the directory itself.'),
    })
    .strict(),
});

const readFile = defineTool({
  name: 'read_file',
  servedBy: 'fs-service',
  effect: 'read',
  description:
    'Reads a file as text, line by line. Office documents (docx, xlsx, pptx) and PDFs are returned ' +
    'as their extracted text. Long files are returned in slices: use offset and limit to read further; ' +
    `at most ${TOOL_LIMITS.readLines} lines come back per call. Binary files that have no text form are ` +
    `refused with NOT_TEXT. ${PATH_RULE}`,
  input: z
    .object({
      path: pathField('The file to read.'),
      offset: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('How many lines to skip from the start of the file; 0 (the default) starts at the top.'),
      limit: z
        .number()
        .int()
        .min(1)
        .max(TOOL_LIMITS.readLines)
        .optional()
        .describe(`The most lines to return, up to ${TOOL_LIMITS.readLines}.`),
    })
    .strict(),
});

const writeFile = defineTool({
  name: 'write_file',
  servedBy: 'fs-service',
  effect: 'write',
  description:
    'Writes text to a file, creating it (and any missing parent directories) or replacing all of its ' +
    'content at once. To change part of an existing file prefer edit_file, which ' +
    'cannot lose the rest of it. Content is at most 2 MiB of text; produce binary formats (xlsx, docx, ' +
    `pdf, pptx) by running a script with run_command instead. ${PATH_RULE}`,
  input: z
    .object({
      path: pathField('The file to write.'),
      content: z.string().max(TOOL_LIMITS.contentLength).describe('The complete new content of the file.'),
    })
    .strict(),
});

const editFile = defineTool({
  name: 'edit_file',
  servedBy: 'fs-service',
  effect: 'write',
  description:
    'Replaces an exact piece of text in a file with new text. old_string must match the file exactly, ' +
    'whitespace and indentation included; read the file first. If old_string is not found the edit fails ' +
    'with NOT_FOUND; if it occurs more than once the edit fails with AMBIGUOUS_EDIT unless replace_all is ' +
    `true, so include enough surrounding text to make it unique. ${PATH_RULE}`,
  input: z
    .object({
      path: pathField('The file to edit.'),
      old_string: z.string().min(1).max(TOOL_LIMITS.editStringLength).describe('The exact text to replace.'),
      new_string: z.string().max(TOOL_LIMITS.editStringLength).describe('The text to put in its place.'),
      replace_all: z
        .boolean()
        .optional()
        .describe('Replace every occurrence instead of requiring exactly one. Default false.'),
    })
    .strict(),
});

const glob = defineTool({
  name: 'glob',
  servedBy: 'fs-service',
  effect: 'read',
  description:
    'Finds files whose paths match a glob pattern such as "**/*.xlsx" or "invoices/2024-*.pdf", and ' +
    'returns their absolute paths. The pattern is matched relative to ' +
    `path; without path, every connected folder is searched. ${PATH_RULE}`,
  input: z
    .object({
      pattern: patternField('The glob pattern, e.g. "**/*.csv".'),
      path: pathField('The directory to search in; omit to search every connected folder.').optional(),
    })
    .strict(),
});

const grep = defineTool({
  name: 'grep',
  servedBy: 'fs-service',
  effect: 'read',
  description:
    'Searches the text of files for a regular expression (JavaScript syntax) and returns the matching ' +
    'lines with their file paths and line numbers. Narrow the search with path (a file or directory) and ' +
    `glob (e.g. "*.md"); without path, every connected folder is searched. ${PATH_RULE}`,
  input: z
    .object({
      pattern: patternField('The regular expression to search for.'),
      path: pathField('The file or directory to search; omit to search every connected folder.').optional(),
      glob: patternField('Only search files whose names match this glob, e.g. "*.txt".').optional(),
    })
    .strict(),
});

const makeDirectory = defineTool({
  name: 'make_directory',
  servedBy: 'fs-service',
  effect: 'write',
  description: `Creates a directory, along with any missing parent directories. Succeeds if it already exists. ${PATH_RULE}`,
  input: z.object({ path: pathField('The directory to create.') }).strict(),
});

const movePath = defineTool({
  name: 'move_path',
  servedBy: 'fs-service',
  effect: 'write',
  description:
    'Moves or renames a file or directory. Fails with EXISTS if something is already at the destination, ' +
    `so nothing is overwritten. Both paths must be inside connected folders. ${PATH_RULE}`,
  input: z
    .object({
      from: pathField('The file or directory to move.'),
      to: pathField('Where it should end up, including its new name.'),
    })
    .strict(),
});

const deletePath = defineTool({
  name: 'delete_path',
  servedBy: 'fs-service',
  effect: 'delete',
  description:
    'Deletes a file or directory (with its contents). The person is always asked first, and what is ' +
    `deleted goes to a trash it can be restored from. Say why in your message before calling it. ${PATH_RULE}`,
  input: z.object({ path: pathField('The file or directory to delete.') }).strict(),
});

const runCommand = defineTool({
  name: 'run_command',
  servedBy: 'vm-service',
  effect: 'execute',
  description:
    'Runs a shell command in an isolated sandbox and returns its exit code, standard output and standard ' +
    'error. The connected folders are mounted in the sandbox at their own absolute paths, so the same paths ' +
    'work here as in the file tools; nothing else of this computer is visible. Use it to run scripts that ' +
    'produce documents, spreadsheets and charts. The command is stopped when timeout_ms runs out. ' +
    PATH_RULE,
  input: z
    .object({
      command: z.string().min(1).max(TOOL_LIMITS.commandLength).describe('The shell command to run.'),
      cwd: pathField('The working directory; omit to use the first connected folder.').optional(),
      timeout_ms: z
        .number()
        .int()
        .min(1)
        .max(TOOL_LIMITS.commandTimeoutMs)
        .optional()
        .describe('How long the command may run, in milliseconds, up to one hour.'),
    })
    .strict(),
});

const TODO_STATUSES = ['pending', 'in_progress', 'completed'] as const;

const todoWrite = defineTool({
  name: 'todo_write',
  servedBy: 'orchestrator',
  effect: 'internal',
  description:
    'Replaces the task plan the person sees as progress. Send the whole list every time, in order; keep ' +
    'exactly one item in_progress while you work and mark items completed as soon as they are done. Use ' +
    `it for any task with more than a couple of steps. At most ${TOOL_LIMITS.todos} items.`,
  input: z
    .object({
      todos: z
        .array(
          z
            .object({
              content: z.string().min(1).max(TOOL_LIMITS.todoLength).describe('What this step achieves.'),
              status: z.enum(TODO_STATUSES),
            })
            .strict(),
        )
        .max(TOOL_LIMITS.todos)
        .describe('The complete plan, in order.'),
    })
    .strict(),
});

const scratchpadWrite = defineTool({
  name: 'scratchpad_write',
  servedBy: 'orchestrator',
  effect: 'internal',
  description:
    "Replaces the task's scratchpad: working notes (findings, decisions, intermediate figures) that stay " +
    'with the task and that the person can read. It is not a file in the connected folders; write ' +
    'deliverables with write_file.',
  input: z
    .object({
      content: z.string().max(TOOL_LIMITS.scratchpadLength).describe('The complete new scratchpad text.'),
    })
    .strict(),
});

const spawnSubagents = defineTool({
  name: 'spawn_subagents',
  servedBy: 'orchestrator',
  effect: 'internal',
  description:
    'Starts sub-agents that work in parallel on independent parts of the task, with the same connected ' +
    "folders and tools, and returns each one's final report when all have finished. Each prompt must " +
    'stand on its own: a sub-agent sees nothing of this conversation. Give them parts that do not write ' +
    `the same files. ${TOOL_LIMITS.subagentTasks} at most per call.`,
  input: z
    .object({
      tasks: z
        .array(
          z
            .object({
              description: z
                .string()
                .min(1)
                .max(TOOL_LIMITS.subagentDescriptionLength)
                .describe('A short label the person sees, e.g. "Summarise Q3 invoices".'),
              prompt: z
                .string()
                .min(1)
                .max(TOOL_LIMITS.subagentPromptLength)
                .describe('Complete instructions for the sub-agent, including what to report back.'),
            })
            .strict(),
        )
        .min(1)
        .max(TOOL_LIMITS.subagentTasks),
    })
    .strict(),
});

const loadSkill = defineTool({
  name: 'load_skill',
  servedBy: 'plugin-host',
  effect: 'internal',
  description:
    'Loads the instructions of an installed skill (for example how to build a well-formatted xlsx or ' +
    'pptx) into this conversation. Load a skill before starting the kind of work it covers.',
  input: z
    .object({
      name: z
        .string()
        .min(1)
        .max(TOOL_LIMITS.skillNameLength)
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/)
        .describe('The skill name, as listed among the available skills.'),
    })
    .strict(),
});

/** The built-in tools the model sees (ARCHITECTURE §4); MCP tools come on top, named by `mcpToolName`. */
export const TOOL_CATALOG = Object.freeze([
  listDirectory,
  readFile,
  writeFile,
  editFile,
  glob,
  grep,
  makeDirectory,
  movePath,
  deletePath,
  runCommand,
  todoWrite,
  scratchpadWrite,
  spawnSubagents,
  loadSkill,
] as const);

export type CatalogTool = (typeof TOOL_CATALOG)[number];
export type ToolName = CatalogTool['name'];
export type ToolByName<N extends ToolName> = Extract<CatalogTool, { name: N }>;
/** What a tool's server receives once the input has been validated. */
export type ToolInput<N extends ToolName> = z.output<ToolByName<N>['input']>;

const TOOLS_BY_NAME: ReadonlyMap<string, CatalogTool> = new Map(
  TOOL_CATALOG.map((tool) => [tool.name, tool]),
);

export function findTool<N extends ToolName>(name: N): ToolByName<N>;
export function findTool(name: string): CatalogTool | undefined;
export function findTool(name: string): CatalogTool | undefined {
  return TOOLS_BY_NAME.get(name);
}

/** The `input_schema` the model is given: a JSON Schema object, without `$schema`. */
export interface ToolJsonSchema {
  readonly type: 'object';
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly [keyword: string]: unknown;
}

export function toolInputJsonSchema(tool: Pick<ToolDefinition, 'name' | 'input'>): ToolJsonSchema {
  const schema: Record<string, unknown> = { ...z.toJSONSchema(tool.input, { io: 'input' }) };
  delete schema.$schema;
  if (schema.type !== 'object') {
    throw new StewardError(
      'INTERNAL',
      `tool ${tool.name} has an input schema of type ${String(schema.type)}`,
    );
  }
  return { ...schema, type: 'object' };
}

/**
 * MCP tools are shown as `mcp__<server>__<tool>`. A server name is words of [A-Za-z0-9-] joined by
 * single underscores, so the first `__` always ends it and a name splits back one way only.
 */
export const MCP_TOOL_NAME_PATTERN = /^mcp__([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*)__([A-Za-z0-9_-]+)$/;
const MCP_SERVER_PATTERN = /^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/;
const MCP_TOOL_PATTERN = /^[A-Za-z0-9_-]+$/;

export interface McpToolRef {
  readonly server: string;
  readonly tool: string;
}

export function mcpToolName(server: string, tool: string): string {
  if (!MCP_SERVER_PATTERN.test(server)) {
    throw new StewardError(
      'INVALID_INPUT',
      `MCP server name ${JSON.stringify(server)} must be letters, digits, "-" and single "_" between them`,
    );
  }
  if (!MCP_TOOL_PATTERN.test(tool)) {
    throw new StewardError(
      'INVALID_INPUT',
      `MCP tool name ${JSON.stringify(tool)} must be letters, digits, "_" and "-"`,
    );
  }
  const name = `mcp__${server}__${tool}`;
  if (name.length > TOOL_LIMITS.toolNameLength) {
    throw new StewardError(
      'INVALID_INPUT',
      `tool name ${name} is longer than ${TOOL_LIMITS.toolNameLength} characters`,
    );
  }
  return name;
}

export function parseMcpToolName(name: string): McpToolRef | undefined {
  if (name.length > TOOL_LIMITS.toolNameLength) return undefined;
  const match = MCP_TOOL_NAME_PATTERN.exec(name);
  if (match === null) return undefined;
  const [, server, tool] = match;
  return server === undefined || tool === undefined ? undefined : { server, tool };
}
