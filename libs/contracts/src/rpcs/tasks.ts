import { z } from 'zod';
import { recordIdSchema, taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { absolutePathSchema } from './workspace.js';

/*
 * Tasks: what the person asks for, the orchestrator's state machine for it, and the page's (and
 * `steward run`'s, through the page's HTTP API) view of it (ARCHITECTURE §5).
 */

export const TASK_STATUSES = [
  'queued',
  'running',
  'waiting_approval',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** Statuses a task never leaves. */
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

export const APPROVAL_MODES = ['ask', 'auto'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export const TASK_LIMITS = {
  promptLength: 200_000,
  messageLength: 100_000,
  folders: 16,
  modelLength: 200,
  listPage: 200,
} as const;

/** `provider:model` or a bare model id of the default provider. */
export const modelRefSchema = z
  .string()
  .min(1)
  .max(TASK_LIMITS.modelLength)
  .regex(/^[A-Za-z0-9._:/@-]+$/, 'letters, digits and . _ : / @ - only');

export const taskCreateInputSchema = z
  .object({
    prompt: z.string().trim().min(1, 'say what the task should do').max(TASK_LIMITS.promptLength),
    folders: z.array(absolutePathSchema).min(1, 'connect at least one folder').max(TASK_LIMITS.folders),
    projectId: recordIdSchema.optional(),
    model: modelRefSchema.optional(),
    approvalMode: z.enum(APPROVAL_MODES).optional(),
  })
  .strict();
export type TaskCreateInput = z.infer<typeof taskCreateInputSchema>;

export const todoSchema = z
  .object({ content: z.string(), status: z.enum(['pending', 'in_progress', 'completed']) })
  .strict();

export const approvalViewSchema = z
  .object({
    id: recordIdSchema,
    toolCallId: z.string(),
    tool: z.string(),
    input: z.unknown(),
    /** What the person is shown: the files a delete would remove, the command that would run, … */
    summary: z.string(),
    /** For deletes: every path the approval covers. */
    targets: z.array(z.string()).optional(),
    status: z.enum(['pending', 'allowed', 'denied', 'expired']),
    /** Where the decision came from, once there is one. */
    decidedBy: z.enum(['person', 'rule', 'deadline']).optional(),
    createdAt: z.string(),
    expiresAt: z.string(),
    decidedAt: z.string().optional(),
  })
  .strict();
export type ApprovalView = z.infer<typeof approvalViewSchema>;

export const toolCallViewSchema = z
  .object({
    id: z.string(),
    tool: z.string(),
    input: z.unknown(),
    status: z.enum(['pending', 'waiting_approval', 'running', 'done', 'denied', 'unknown']),
    isError: z.boolean(),
    resultSummary: z.string(),
    /** Where the approval chain's answer came from: policy, a rule of this task, the mode, the person. */
    decision: z.enum(['allow', 'ask', 'deny']).optional(),
    decisionSource: z.enum(['policy', 'rule', 'mode', 'person', 'always']).optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
  })
  .strict();
export type ToolCallView = z.infer<typeof toolCallViewSchema>;

export const usageSchema = z
  .object({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    cacheReadTokens: z.number().int().nonnegative(),
    cacheWriteTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative(),
    /** Per model, for tasks that used more than one (sub-agents, fallbacks). */
    byModel: z.record(
      z.string(),
      z
        .object({
          inputTokens: z.number().int().nonnegative(),
          outputTokens: z.number().int().nonnegative(),
          costUsd: z.number().nonnegative(),
        })
        .strict(),
    ),
  })
  .strict();
export type TaskUsage = z.infer<typeof usageSchema>;

export const taskSummarySchema = z
  .object({
    id: taskIdSchema,
    status: z.enum(TASK_STATUSES),
    prompt: z.string(),
    folders: z.array(z.string()),
    parentId: taskIdSchema.optional(),
    projectId: recordIdSchema.optional(),
    model: z.string(),
    approvalMode: z.enum(APPROVAL_MODES),
    progress: z.object({ done: z.number().int(), total: z.number().int() }).strict(),
    /** In task lists: approvals waiting for an answer, of this task and of its sub-tasks. */
    pendingApprovals: z.number().int().nonnegative().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict();
export type TaskSummary = z.infer<typeof taskSummarySchema>;

export const taskViewSchema = taskSummarySchema
  .extend({
    children: z.array(taskIdSchema),
    todos: z.array(todoSchema),
    approvals: z.array(approvalViewSchema),
    toolCalls: z.array(toolCallViewSchema),
    messages: z.array(z.object({ role: z.enum(['user', 'assistant']), text: z.string() }).strict()),
    scratchpad: z.string(),
    filesChanged: z.array(z.string()),
    usage: usageSchema,
    /** The model's final answer, once the task completed. */
    answer: z.string().optional(),
    /** Why a task failed, was cancelled or interrupted, in words a person reads. */
    error: z.string().optional(),
  })
  .strict();
export type TaskView = z.infer<typeof taskViewSchema>;

const forwarded = ['UNAVAILABLE', 'TIMEOUT'] as const;

export const orchestratorTaskCreate = defineRpc({
  subject: 'orchestrator.task.create',
  server: 'orchestrator',
  callers: ['ui', 'scheduler'],
  request: taskCreateInputSchema,
  response: z.object({ id: taskIdSchema, status: z.enum(TASK_STATUSES) }).strict(),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'OUTSIDE_ROOT', 'DENIED_BY_POLICY', ...forwarded],
  timeoutMs: 15_000,
  description: 'Creates a task and starts it (POST /api/tasks).',
});

export const orchestratorTaskList = defineRpc({
  subject: 'orchestrator.task.list',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({
      status: z.enum(TASK_STATUSES).optional(),
      parentId: taskIdSchema.optional(),
      projectId: recordIdSchema.optional(),
      limit: z.number().int().min(1).max(TASK_LIMITS.listPage).optional(),
      /** Tasks created before this one (paging, newest first). */
      before: taskIdSchema.optional(),
    })
    .strict(),
  response: z.object({ tasks: z.array(taskSummarySchema) }).strict(),
  errors: ['INVALID_INPUT'],
  timeoutMs: 10_000,
  description: 'Tasks, newest first (GET /api/tasks).',
});

export const orchestratorTaskGet = defineRpc({
  subject: 'orchestrator.task.get',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ taskId: taskIdSchema }).strict(),
  response: taskViewSchema,
  errors: ['INVALID_INPUT', 'NOT_FOUND'],
  timeoutMs: 10_000,
  description: 'One task, whole (GET /api/tasks/:id).',
});

export const orchestratorTaskMessage = defineRpc({
  subject: 'orchestrator.task.message',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({
      taskId: taskIdSchema,
      text: z.string().trim().min(1).max(TASK_LIMITS.messageLength),
    })
    .strict(),
  response: z.object({ accepted: z.literal(true), status: z.enum(TASK_STATUSES) }).strict(),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT'],
  timeoutMs: 10_000,
  description: 'Steers a running task, or continues a finished one (POST /api/tasks/:id/messages).',
});

export const orchestratorTaskApprove = defineRpc({
  subject: 'orchestrator.task.approve',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({
      taskId: taskIdSchema,
      approvalId: recordIdSchema,
      decision: z.enum(['allow', 'deny']),
      /** "Allow for the rest of this task": a rule scoped to this tool and path or command pattern. */
      remember: z.boolean().optional(),
    })
    .strict(),
  response: approvalViewSchema,
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT', 'DENIED_BY_POLICY'],
  timeoutMs: 10_000,
  description: 'Answers a pending approval (POST /api/tasks/:id/approvals/:approvalId).',
});

export const orchestratorTaskCancel = defineRpc({
  subject: 'orchestrator.task.cancel',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ taskId: taskIdSchema }).strict(),
  response: z.object({ status: z.enum(TASK_STATUSES) }).strict(),
  errors: ['INVALID_INPUT', 'NOT_FOUND'],
  timeoutMs: 30_000,
  description: 'Cancels a task and its running tool calls (POST /api/tasks/:id/cancel).',
});

export const orchestratorCredentialsSave = defineRpc({
  subject: 'orchestrator.credentials.save',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({
      provider: z.literal('anthropic'),
      apiKey: z
        .string()
        .trim()
        .min(8)
        .max(512)
        .regex(/^[\x21-\x7e]+$/, 'printable characters without spaces'),
    })
    .strict(),
  response: z.object({ saved: z.literal(true) }).strict(),
  errors: ['INVALID_INPUT', 'DENIED_BY_POLICY'],
  timeoutMs: 10_000,
  description: 'Saves the model API key (0600 in STEWARD_HOME); it is never sent back.',
});

export const orchestratorCredentialsStatus = defineRpc({
  subject: 'orchestrator.credentials.status',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({}).strict(),
  response: z
    .object({
      anthropic: z.object({ configured: z.boolean(), source: z.enum(['env', 'saved', 'none']) }).strict(),
    })
    .strict(),
  errors: [],
  timeoutMs: 10_000,
  description: 'Whether a model API key is configured, and where it comes from (never the key).',
});

export const orchestratorModelCheck = defineRpc({
  subject: 'orchestrator.model.check',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ model: modelRefSchema }).strict(),
  response: z
    .object({
      model: z.string(),
      /** The model answered a request that needed a tool call with that tool call. */
      toolUse: z.boolean(),
      detail: z.string(),
    })
    .strict(),
  errors: ['INVALID_INPUT', 'UNAUTHORIZED', 'NOT_FOUND', 'UNAVAILABLE', 'TIMEOUT'],
  timeoutMs: 120_000,
  description: 'Checks that a model can call tools before tasks use it.',
});

export const ORCHESTRATOR_TASK_RPCS = [
  orchestratorTaskCreate,
  orchestratorTaskList,
  orchestratorTaskGet,
  orchestratorTaskMessage,
  orchestratorTaskApprove,
  orchestratorTaskCancel,
  orchestratorCredentialsSave,
  orchestratorCredentialsStatus,
  orchestratorModelCheck,
] as const;

/** Kinds of `events.orchestrator.task.<taskId>.<kind>`. */
export const TASK_EVENT_KINDS = [
  'created',
  'status',
  'text',
  'message',
  'tool',
  'approval',
  'todos',
  'scratchpad',
  'usage',
  'files',
  'child',
  'notice',
] as const;
export type TaskEventKind = (typeof TASK_EVENT_KINDS)[number];

/** Every task event's body: the kind's own `data`, and when it happened. */
export const taskEventSchema = z
  .object({
    taskId: taskIdSchema,
    kind: z.enum(TASK_EVENT_KINDS),
    at: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type TaskEvent = z.infer<typeof taskEventSchema>;
