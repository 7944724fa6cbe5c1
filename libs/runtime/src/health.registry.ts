import type { HealthReport, HealthStatus, ServiceName } from '@steward/contracts';

export interface CheckResult {
  readonly status: HealthStatus;
  readonly detail?: string;
}
export type HealthCheck = () => CheckResult | Promise<CheckResult>;

const CHECK_TIMEOUT_MS = 1_000;
const SEVERITY: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

export interface HealthIdentity {
  readonly service: ServiceName;
  readonly version: string;
  readonly startedAt: Date;
  readonly starts: number;
  policyVersion(): string;
}

/**
 * The checks behind a service's health reply. The runtime registers bus, database and policy;
 * a service adds its own (the sandbox runtime, a plugin's circuit) in its module's init.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private extras: Partial<Pick<HealthReport, 'sandboxRuntime'>> = {};

  constructor(private readonly identity: HealthIdentity) {}

  register(name: string, check: HealthCheck): void {
    if (this.checks.has(name)) throw new Error(`health check "${name}" is registered twice`);
    this.checks.set(name, check);
  }

  setSandboxRuntime(runtime: NonNullable<HealthReport['sandboxRuntime']>): void {
    this.extras = { ...this.extras, sandboxRuntime: runtime };
  }

  async report(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const checks = Object.fromEntries(entries.map(([name, result]) => [name, { ...result }]));
    const status = entries.reduce<HealthStatus>(
      (worst, [, result]) => (SEVERITY[result.status] > SEVERITY[worst] ? result.status : worst),
      'ok',
    );
    return {
      service: this.identity.service,
      status,
      version: this.identity.version,
      pid: process.pid,
      startedAt: this.identity.startedAt.toISOString(),
      uptimeMs: Date.now() - this.identity.startedAt.getTime(),
      starts: this.identity.starts,
      policyVersion: this.identity.policyVersion(),
      checks,
      ...this.extras,
    };
  }
}

async function runCheck(check: HealthCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'down', detail: `no answer in ${CHECK_TIMEOUT_MS} ms` }),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (error) {
    return { status: 'down', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
