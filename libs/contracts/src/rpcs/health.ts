import { z } from 'zod';
import { defineRpc, type RpcDefinition } from '../rpc.js';
import { SERVICE_NAMES, SUBJECT_PREFIX, type ServiceName } from '../services.js';

export const HEALTH_STATUSES = ['ok', 'degraded', 'down'] as const;
export const healthStatusSchema = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

export const healthCheckSchema = z.object({
  status: healthStatusSchema,
  detail: z.string().optional(),
});

export const healthReportSchema = z.object({
  service: z.enum(SERVICE_NAMES),
  status: healthStatusSchema,
  version: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  uptimeMs: z.number().nonnegative(),
  /** How many times this service has started with this STEWARD_HOME (from its own database). */
  starts: z.number().int().nonnegative(),
  policyVersion: z.string(),
  checks: z.record(z.string(), healthCheckSchema),
  /** vm-service only: the sandbox runtime in use. */
  sandboxRuntime: z.enum(['docker', 'bubblewrap', 'none']).optional(),
});
export type HealthReport = z.infer<typeof healthReportSchema>;

export const healthRequestSchema = z.object({}).strict();

function healthRpc(service: ServiceName) {
  return defineRpc({
    subject: `${SUBJECT_PREFIX[service]}.health.get`,
    server: service,
    callers: ['ui'],
    request: healthRequestSchema,
    response: healthReportSchema,
    errors: ['INVALID_INPUT', 'INTERNAL'],
    timeoutMs: 2_000,
    description: `Liveness and readiness of ${service}: its checks, version, uptime and policy version.`,
  });
}

/** Every service but `ui` answers `<prefix>.health.get`; `ui` reports itself over HTTP. */
export const HEALTH_RPCS = {
  orchestrator: healthRpc('orchestrator'),
  'fs-service': healthRpc('fs-service'),
  'vm-service': healthRpc('vm-service'),
  'plugin-host': healthRpc('plugin-host'),
  scheduler: healthRpc('scheduler'),
} as const satisfies Partial<Record<ServiceName, RpcDefinition>>;

export type BusServiceName = keyof typeof HEALTH_RPCS;
