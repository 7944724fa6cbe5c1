import { z } from 'zod';
import { taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { MCP_TOOL_NAME_PATTERN, TOOL_LIMITS } from '../tools.js';

/*
 * Tools plugin-host offers on top of the built-in catalog: MCP servers' tools (`mcp__<server>__<tool>`)
 * and `load_skill`. The orchestrator asks for the list on each model turn and merges it in; when
 * plugin-host does not answer, a task simply has the built-in tools.
 */

/** The longest tool description the model is shown; longer ones are cut by plugin-host. */
export const PLUGIN_TOOL_DESCRIPTION_LENGTH = 4_096;
/** The most plugin tools offered to one task. */
export const MAX_PLUGIN_TOOLS = 200;

export const pluginToolSchema = z
  .object({
    name: z
      .string()
      .max(TOOL_LIMITS.toolNameLength)
      .refine(
        (name) => name === 'load_skill' || MCP_TOOL_NAME_PATTERN.test(name),
        'mcp__<server>__<tool> or load_skill',
      ),
    description: z.string().max(PLUGIN_TOOL_DESCRIPTION_LENGTH),
    /** The tool's JSON Schema (an object schema), as its server declared it. */
    inputSchema: z
      .record(z.string(), z.unknown())
      .refine((schema) => schema['type'] === 'object', 'an object schema'),
    /** The plugin or MCP server offering it, for the page and the logs. */
    server: z.string().max(128),
  })
  .strict();
export type PluginTool = z.infer<typeof pluginToolSchema>;

export const pluginToolsList = defineRpc({
  subject: 'plugin.tools.list',
  server: 'plugin-host',
  callers: ['orchestrator', 'ui'],
  request: z.object({ taskId: taskIdSchema.optional() }).strict(),
  response: z.object({ tools: z.array(pluginToolSchema).max(MAX_PLUGIN_TOOLS) }).strict(),
  errors: ['INVALID_INPUT', 'UNAVAILABLE'],
  timeoutMs: 2_000,
  description: 'The plugin and MCP tools a task may be offered, in addition to the built-in catalog.',
});

export const pluginToolsCall = defineRpc({
  subject: 'plugin.tools.call',
  server: 'plugin-host',
  callers: ['orchestrator'],
  request: z
    .object({
      taskId: taskIdSchema,
      /** The model's tool_use id, for cancelling and logs. */
      toolCallId: z.string().min(1).max(128),
      name: pluginToolSchema.shape.name,
      input: z.record(z.string(), z.unknown()),
      /** A plugin may need the task's folders (a skill's files). */
      folders: z.array(z.string()).max(32).optional(),
    })
    .strict(),
  response: z.object({ output: z.string(), isError: z.boolean() }).strict(),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'DENIED_BY_POLICY', 'UNAVAILABLE', 'TIMEOUT', 'CANCELLED'],
  timeoutMs: 600_000,
  description: 'Runs one plugin or MCP tool call for a task (plugin-host applies its own limits).',
});

export const PLUGIN_RPCS = [pluginToolsList, pluginToolsCall] as const;
