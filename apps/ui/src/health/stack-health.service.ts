import { Inject, Injectable } from '@nestjs/common';
import {
  HEALTH_RPCS,
  isStewardError,
  type BusServiceName,
  type HealthReport,
  type HealthStatus,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { HealthRegistry } from '@steward/runtime';

const HEALTH_TIMEOUT_MS = 1_500;
const SEVERITY: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

export interface ServiceHealth {
  readonly status: HealthStatus;
  readonly detail?: string;
  readonly report?: HealthReport;
}

export interface StackHealth {
  readonly status: HealthStatus;
  readonly services: Record<string, ServiceHealth>;
  readonly sandbox: { readonly runtime: string };
  readonly checkedAt: string;
}

/** Asks every service for its health at once; a service that does not answer in time is down. */
@Injectable()
export class StackHealthService {
  constructor(
    @Inject(BusClient) private readonly bus: BusClient,
    @Inject(HealthRegistry) private readonly self: HealthRegistry,
  ) {}

  async check(): Promise<StackHealth> {
    const names = Object.keys(HEALTH_RPCS) as BusServiceName[];
    const answers = await Promise.all(names.map((name) => this.ask(name)));
    const ui = await this.self.report();
    const services: Record<string, ServiceHealth> = Object.fromEntries(
      names.map((name, i) => [name, answers[i]!]),
    );
    services.ui = { status: ui.status, report: ui };
    const status = Object.values(services).reduce<HealthStatus>(
      (worst, s) => (SEVERITY[s.status] > SEVERITY[worst] ? s.status : worst),
      'ok',
    );
    const runtime = services['vm-service']?.report?.sandboxRuntime ?? 'unknown';
    return { status, services, sandbox: { runtime }, checkedAt: new Date().toISOString() };
  }

  private async ask(name: BusServiceName): Promise<ServiceHealth> {
    try {
      const report = await this.bus.request(HEALTH_RPCS[name], {}, { timeoutMs: HEALTH_TIMEOUT_MS });
      return { status: report.status, report };
    } catch (error) {
      const detail = isStewardError(error) ? `${error.code}: ${error.message}` : String(error);
      return { status: 'down', detail };
    }
  }
}
