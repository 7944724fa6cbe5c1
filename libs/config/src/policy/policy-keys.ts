import { isAbsolute } from 'node:path';
import { modelRefSchema } from '@steward/contracts';
import { z } from 'zod';
import { DEFAULT_MODEL } from '../model.config.js';

export interface PolicyKeySpec<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  readonly default: z.output<S>;
  /** What the key becomes when a managed source that might have set it cannot be trusted or read. */
  readonly mostRestrictive: z.output<S>;
  readonly description: string;
  /** The environment variable a person may use to set the key, if any. */
  readonly env?: string;
  /** Keys that exist only to let an organization restrict people are never read from the person's side. */
  readonly personMaySet: boolean;
}

function key<S extends z.ZodType>(spec: PolicyKeySpec<S>): PolicyKeySpec<S> {
  return spec;
}

const absolutePath = z.string().refine((value) => isAbsolute(value), { message: 'must be an absolute path' });
const nonEmpty = z.string().min(1);
const host = z
  .string()
  .regex(
    /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?$/,
    {
      message: 'must be a host name, optionally *.-prefixed, with an optional :port',
    },
  );

export const POLICY_KEYS = {
  'folders.allowed': key({
    schema: z.array(absolutePath).nullable(),
    default: null,
    mostRestrictive: [],
    description: 'Absolute path prefixes a person may connect as a folder; null allows any folder.',
    personMaySet: false,
  }),
  'folders.deniedPatterns': key({
    schema: z.array(nonEmpty),
    default: [],
    mostRestrictive: ['**'],
    description: 'Globs of paths inside a connected folder that the agent may never read or write.',
    personMaySet: true,
  }),
  'approvals.allowAuto': key({
    schema: z.boolean(),
    default: true,
    mostRestrictive: false,
    description: 'Whether a person may choose approval mode "auto".',
    personMaySet: false,
  }),
  'approvals.defaultMode': key({
    schema: z.enum(['ask', 'auto']),
    default: 'ask',
    mostRestrictive: 'ask',
    description: 'Whether actions that change things wait for the person ("ask") or run at once ("auto").',
    env: 'STEWARD_APPROVAL_MODE',
    personMaySet: true,
  }),
  'fs.allowProtectedWrites': key({
    schema: z.boolean(),
    default: false,
    mostRestrictive: false,
    description:
      'Whether the agent may write to .git/hooks, shell rc files and other files that run code later.',
    personMaySet: true,
  }),
  'fs.deleteBulkThreshold': key({
    schema: z.int().min(1),
    default: 20,
    mostRestrictive: 1,
    description: 'How many files one delete may move to the trash before it needs an extra confirmation.',
    personMaySet: true,
  }),
  'sandbox.network': key({
    schema: z.enum(['none', 'proxy']),
    default: 'none',
    mostRestrictive: 'none',
    description: 'Network for sandboxed commands: none at all, or through the egress proxy.',
    env: 'STEWARD_SANDBOX_NETWORK',
    personMaySet: true,
  }),
  'sandbox.egressHosts': key({
    schema: z.array(host),
    default: [],
    mostRestrictive: [],
    description: 'Hosts the egress proxy lets sandboxed commands reach.',
    personMaySet: true,
  }),
  'sandbox.commandTimeoutMs': key({
    schema: z.int().min(1000),
    default: 120_000,
    mostRestrictive: 10_000,
    description: 'How long one sandboxed command may run by default, in milliseconds.',
    env: 'STEWARD_COMMAND_TIMEOUT_MS',
    personMaySet: true,
  }),
  'sandbox.maxCommandTimeoutMs': key({
    schema: z.int().min(1000),
    default: 600_000,
    mostRestrictive: 60_000,
    description: 'The longest any sandboxed command may run, in milliseconds.',
    personMaySet: false,
  }),
  'plugins.allowLocalMcpServers': key({
    schema: z.boolean(),
    default: true,
    mostRestrictive: false,
    description: 'Whether a person may add MCP servers that run as local processes.',
    personMaySet: true,
  }),
  'plugins.blocked': key({
    schema: z.array(nonEmpty),
    default: [],
    mostRestrictive: ['*'],
    description: 'Plugin ids that may not be installed or run; "*" blocks all.',
    personMaySet: true,
  }),
  'plugins.allowed': key({
    schema: z.array(nonEmpty).nullable(),
    default: null,
    mostRestrictive: [],
    description: 'The only plugin ids that may be installed; null allows any not blocked.',
    personMaySet: false,
  }),
  'models.allowedProviders': key({
    schema: z.array(nonEmpty).nullable(),
    default: null,
    mostRestrictive: [],
    description: 'Model providers (by base URL host or name) the agent may call; null allows any.',
    personMaySet: false,
  }),
  'models.defaultModel': key({
    schema: modelRefSchema,
    default: DEFAULT_MODEL,
    // No model is safer than another; failing closed keeps the built-in default.
    mostRestrictive: DEFAULT_MODEL,
    description:
      'The model new tasks use unless they name one: provider:model, or a bare Anthropic model id.',
    env: 'STEWARD_MODEL',
    personMaySet: true,
  }),
  'agents.maxSubagentConcurrency': key({
    schema: z.int().min(1).max(16),
    default: 3,
    mostRestrictive: 1,
    description: 'How many sub-agents one task may run at the same time.',
    env: 'STEWARD_MAX_SUBAGENT_CONCURRENCY',
    personMaySet: true,
  }),
  'budget.maxTurns': key({
    schema: z.int().min(1),
    default: 200,
    mostRestrictive: 20,
    description: 'The most model turns one task may take.',
    env: 'STEWARD_MAX_TURNS',
    personMaySet: true,
  }),
  'budget.maxCostUsd': key({
    schema: z.number().positive(),
    default: 10,
    mostRestrictive: 1,
    description: 'The most one task may spend on model calls, in US dollars.',
    env: 'STEWARD_MAX_COST_USD',
    personMaySet: true,
  }),
  'telemetry.otlpEndpoint': key({
    schema: z.url().nullable(),
    default: null,
    mostRestrictive: null,
    description: 'Where traces and metrics are exported over OTLP; null exports nothing.',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    personMaySet: true,
  }),
  'telemetry.captureContent': key({
    schema: z.boolean(),
    default: false,
    mostRestrictive: false,
    description: 'Whether prompts and file contents may be included in exported telemetry.',
    personMaySet: true,
  }),
  'scheduler.minIntervalSeconds': key({
    schema: z.int().min(1),
    default: 60,
    mostRestrictive: 3600,
    description: 'The shortest interval between two runs of a scheduled task, in seconds.',
    personMaySet: true,
  }),
} as const;

export type PolicyKey = keyof typeof POLICY_KEYS;
export const POLICY_KEY_NAMES = Object.freeze(Object.keys(POLICY_KEYS) as PolicyKey[]);

type Frozen<T> = T extends readonly (infer U)[] ? readonly Frozen<U>[] : T;
export type PolicyValue<K extends PolicyKey> = Frozen<z.output<(typeof POLICY_KEYS)[K]['schema']>>;
export type PolicyValues = { readonly [K in PolicyKey]: PolicyValue<K> };

export function isPolicyKey(name: string): name is PolicyKey {
  return Object.hasOwn(POLICY_KEYS, name);
}

export type PolicyCheck =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

export function checkPolicyValue(name: PolicyKey, value: unknown): PolicyCheck {
  const parsed = POLICY_KEYS[name].schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((issue) => describeIssue(issue)).join('; ') };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? issue.message : `${issue.path.map(String).join('.')}: ${issue.message}`;
}
