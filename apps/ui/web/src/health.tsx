import type { HealthReport, HealthStatus } from '@steward/contracts';
import { useState } from 'react';
import { api } from './api.js';
import { usePolling } from './use-polling.js';

interface ServiceHealth {
  readonly status: HealthStatus | 'unknown';
  readonly detail?: string;
  readonly report?: HealthReport;
}
interface StackHealth {
  readonly status: HealthStatus | 'unknown';
  readonly services: Readonly<Record<string, ServiceHealth>>;
  readonly sandbox: { readonly runtime: string };
}

const SERVICES = ['ui', 'orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler'];
const HEALTH_REFRESH_MS = 2_000;
const OVERALL: Record<StackHealth['status'], string> = {
  ok: 'All services healthy',
  degraded: 'Degraded',
  down: 'Something is down',
  unknown: 'Checking…',
};
const UNREACHABLE: StackHealth = { status: 'down', services: {}, sandbox: { runtime: 'unknown' } };

export interface Health {
  readonly health: StackHealth | undefined;
  readonly checkedAt: Date | undefined;
}

/** The stack's health: the detailed report when signed in, the public summary otherwise. */
export function useHealth(): Health {
  const [checkedAt, setCheckedAt] = useState<Date>();
  const { value } = usePolling(async () => {
    const health = await api<StackHealth>('/api/health/details').catch(() =>
      api<StackHealth>('/api/health').catch(() => UNREACHABLE),
    );
    setCheckedAt(new Date());
    return health;
  }, HEALTH_REFRESH_MS);
  return { health: value, checkedAt };
}

export function HealthPill(props: { readonly health: StackHealth | undefined }) {
  const status = props.health?.status ?? 'unknown';
  return (
    <span id="overall" className={`pill ${status}`} role="status" aria-live="polite">
      {OVERALL[status]}
    </span>
  );
}

function describe(service: ServiceHealth): string {
  const report = service.report;
  if (report === undefined) return service.detail ?? '';
  const failing = Object.entries(report.checks)
    .filter(([, check]) => check.status !== 'ok')
    .map(([name, check]) => `${name}: ${check.detail ?? check.status}`);
  return [
    `v${report.version}`,
    `pid ${report.pid}`,
    `up ${Math.round(report.uptimeMs / 1000)}s`,
    `start #${report.starts}`,
    ...failing,
  ].join(' · ');
}

export function HealthTable(props: Health) {
  return (
    <section aria-labelledby="services-title" className="card">
      <h2 id="services-title">Services</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Status</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {SERVICES.map((name) => {
            const service = props.health?.services[name] ?? { status: 'unknown' };
            return (
              <tr key={name}>
                <td>{name}</td>
                <td className={service.status}>{service.status}</td>
                <td className="muted">{describe(service)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted">
        Sandbox runtime: <strong id="sandbox">{props.health?.sandbox.runtime ?? '…'}</strong> · checked{' '}
        {props.checkedAt?.toLocaleTimeString() ?? '—'}
      </p>
    </section>
  );
}
