import { z } from 'zod';
import { taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';

/*
 * The person's settings (the settings.json layer of policy, ARCHITECTURE §7) as the page reads and
 * writes them, and the admin view's list of recent task failures.
 */

/**
 * The policy keys a person may change from the page. Each is one a person may set in
 * settings.json anyway, and changing it only changes how their own tasks run:
 * - `approvals.defaultMode`: ask or auto; `approvals.allowAuto` still decides whether auto is allowed.
 * - `models.defaultModel`: the model new tasks use unless they name one.
 * - `budget.maxTurns`, `budget.maxCostUsd`: how far one task may go before it stops.
 * - `agents.maxSubagentConcurrency`: how many sub-agents run at once (bounded by the key's schema).
 * - `sandbox.commandTimeoutMs`: bounded by `sandbox.maxCommandTimeoutMs`, which only an organization sets.
 * - `fs.deleteBulkThreshold`: when a delete needs the extra confirmation.
 * Left to a deliberate edit of settings.json (or to the organization), because from a page one
 * click would weaken a protection or send data off the machine: `telemetry.captureContent` and
 * `telemetry.otlpEndpoint` (prompts and file contents leaving the machine), `fs.allowProtectedWrites`
 * (the agent planting code that runs later), `sandbox.network` and `sandbox.egressHosts` (the
 * sandbox reaching the network), `plugins.*` (what code may run), `folders.deniedPatterns`,
 * `scheduler.minIntervalSeconds`.
 */
export const PERSON_SETTING_KEYS = [
  'approvals.defaultMode',
  'models.defaultModel',
  'budget.maxTurns',
  'budget.maxCostUsd',
  'agents.maxSubagentConcurrency',
  'sandbox.commandTimeoutMs',
  'fs.deleteBulkThreshold',
] as const;
export type PersonSettingKey = (typeof PERSON_SETTING_KEYS)[number];

export const POLICY_SOURCE_KINDS = ['managed', 'flag', 'env', 'settings', 'default', 'fail-closed'] as const;

export const policySourceSchema = z
  .object({ kind: z.enum(POLICY_SOURCE_KINDS), detail: z.string() })
  .strict();

export const settingViewSchema = z
  .object({
    key: z.enum(PERSON_SETTING_KEYS),
    /** The value in force, whoever set it. */
    value: z.unknown(),
    source: policySourceSchema,
    /** Set by the organization (or failed closed): the person cannot change it. */
    locked: z.boolean(),
    /** What settings.json holds for the key, when it holds anything; it may be overridden. */
    saved: z.unknown().optional(),
    default: z.unknown(),
    description: z.string(),
    /** The environment variable that overrides settings.json for this key, if any. */
    env: z.string().optional(),
  })
  .strict();
export type SettingView = z.infer<typeof settingViewSchema>;

export const modelEndpointSchema = z
  .object({
    /** Null when the provider is not configured. */
    baseUrl: z.string().nullable(),
    /** The environment variable that sets it. */
    variable: z.string(),
    /** Whether that variable set it (otherwise: the built-in endpoint, or none). */
    fromEnv: z.boolean(),
  })
  .strict();

export const settingsViewSchema = z
  .object({
    /** The policy version these values belong to. */
    policyVersion: z.string(),
    settingsFile: z.string(),
    settings: z.array(settingViewSchema),
    /** Where model calls go; read-only here, set by the environment Steward was started with. */
    providers: z.object({ anthropic: modelEndpointSchema, openai: modelEndpointSchema }).strict(),
    /** Problems with settings.json itself or with a value in it, in words a person reads. */
    problems: z.array(z.string()),
  })
  .strict();
export type SettingsView = z.infer<typeof settingsViewSchema>;

export const SETTINGS_LIMITS = { keysPerUpdate: 32, keyLength: 100 } as const;

export const settingsUpdateInputSchema = z
  .object({
    /** A key set to null goes back to what applies without the person's setting. */
    values: z
      .record(z.string().min(1).max(SETTINGS_LIMITS.keyLength), z.unknown())
      .refine((values) => Object.keys(values).length > 0, 'name at least one setting')
      .refine(
        (values) => Object.keys(values).length <= SETTINGS_LIMITS.keysPerUpdate,
        `at most ${SETTINGS_LIMITS.keysPerUpdate} settings at once`,
      ),
  })
  .strict();
export type SettingsUpdateInput = z.infer<typeof settingsUpdateInputSchema>;

/**
 * `details` of a refused update: why each refused key was refused. The update is all or nothing,
 * so nothing was written. `code` is DENIED_BY_POLICY for keys the organization holds.
 */
export const settingsFieldErrorsSchema = z
  .object({
    fields: z.record(
      z.string(),
      z.object({ code: z.enum(['INVALID_INPUT', 'DENIED_BY_POLICY']), message: z.string() }).strict(),
    ),
  })
  .strict();
export type SettingsFieldErrors = z.infer<typeof settingsFieldErrorsSchema>;

export const orchestratorSettingsGet = defineRpc({
  subject: 'orchestrator.settings.get',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({}).strict(),
  response: settingsViewSchema,
  errors: ['INVALID_INPUT'],
  timeoutMs: 10_000,
  description:
    'The settings a person may change, with the value in force and who set it (GET /api/settings).',
});

export const orchestratorSettingsUpdate = defineRpc({
  subject: 'orchestrator.settings.update',
  server: 'orchestrator',
  callers: ['ui'],
  request: settingsUpdateInputSchema,
  response: settingsViewSchema,
  errors: ['INVALID_INPUT', 'DENIED_BY_POLICY', 'CONFLICT', 'UNAVAILABLE'],
  timeoutMs: 10_000,
  description: "Writes the person's settings.json (validated, atomic) and answers with what is now in force.",
});

export const TASK_FAILURE_LIMITS = { list: 100, prompt: 300 } as const;

export const taskFailureSchema = z
  .object({
    taskId: taskIdSchema,
    parentId: taskIdSchema.optional(),
    status: z.enum(['failed', 'interrupted']),
    /** The start of the task's prompt. */
    prompt: z.string(),
    error: z.string(),
    model: z.string(),
    at: z.string(),
  })
  .strict();
export type TaskFailure = z.infer<typeof taskFailureSchema>;

export const orchestratorFailuresList = defineRpc({
  subject: 'orchestrator.failures.list',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ limit: z.number().int().min(1).max(TASK_FAILURE_LIMITS.list).optional() }).strict(),
  response: z.object({ failures: z.array(taskFailureSchema) }).strict(),
  errors: ['INVALID_INPUT'],
  timeoutMs: 10_000,
  description: 'Tasks that failed or were interrupted, most recent first, with why (the admin view).',
});

export const ORCHESTRATOR_SETTINGS_RPCS = [
  orchestratorSettingsGet,
  orchestratorSettingsUpdate,
  orchestratorFailuresList,
] as const;
