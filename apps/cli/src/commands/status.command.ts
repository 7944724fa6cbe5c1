import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import {
  fetchDetailedHealth,
  type DetailedHealth,
  type ServiceHealthDetail,
} from '../health/health-client.js';
import { readUiToken, uiAddress } from '../home/secrets.js';
import { acceptsConnections } from '../process/ports.js';
import { readStackState, type ProcessState } from '../stack/stack-state.js';
import { print } from './output.js';

export interface StatusRow {
  readonly name: string;
  readonly pid: number | null;
  readonly alive: boolean;
  readonly health: string;
  readonly detail: string;
}

/** The reason a service is not ok: its own detail, or the checks that failed. */
function serviceDetail(service: ServiceHealthDetail | undefined): string {
  if (service === undefined) return 'no health report';
  const failing = Object.entries(service.report?.checks ?? {})
    .filter(([, check]) => check.status !== 'ok')
    .map(([name, check]) => `${name}: ${check.status}${check.detail ? ` (${check.detail})` : ''}`);
  const parts = [...(service.detail ? [service.detail] : []), ...failing];
  if (parts.length > 0) return parts.join('; ');
  return service.report
    ? `v${service.report.version}, up ${Math.round(service.report.uptimeMs / 1000)} s`
    : '';
}

function row(process: ProcessState, health: string, detail: string): StatusRow {
  return { name: process.name, pid: process.pid ?? null, alive: process.alive, health, detail };
}

export function formatStatusTable(rows: readonly StatusRow[]): string {
  const header = ['PROCESS', 'PID', 'ALIVE', 'HEALTH', 'DETAIL'];
  const cells = rows.map((r) => [
    r.name,
    r.pid === null ? '-' : String(r.pid),
    r.alive ? 'yes' : 'no',
    r.health,
    r.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: readonly string[]): string =>
    c
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

export async function statusCommand(options: { readonly json: boolean }): Promise<ExitCode> {
  const config = loadRuntimeConfig();
  const state = readStackState(config);
  const { home } = config.paths;
  if (!state.anyAlive) {
    if (options.json) print(JSON.stringify({ home, running: false, status: 'down' }, null, 2));
    else print(`Steward is not running (home ${home}).`);
    return EXIT.notRunning;
  }
  const token = readUiToken(config.paths);
  const health: DetailedHealth | undefined =
    token === undefined ? undefined : await fetchDetailedHealth(config.uiPort, token);
  const natsAccepting = await acceptsConnections(config.natsPort);
  const rows: StatusRow[] = [
    row(
      state.supervisor,
      '-',
      state.supervisor.alive ? '' : 'not running: nothing restarts a service that stops',
    ),
    row(
      state.nats,
      natsAccepting ? 'ok' : 'down',
      natsAccepting ? `port ${config.natsPort}` : `port ${config.natsPort} not accepting`,
    ),
    ...state.services.map((service) => {
      const reported = health?.services[service.name];
      return row(
        service,
        reported?.status ?? 'unknown',
        health === undefined ? 'the UI does not answer' : serviceDetail(reported),
      );
    }),
  ];
  const allOk =
    state.all.every((p) => p.alive) &&
    natsAccepting &&
    health?.status === 'ok' &&
    rows.slice(2).every((r) => r.health === 'ok');
  const status = allOk ? 'ok' : 'degraded';
  if (options.json) {
    print(
      JSON.stringify(
        {
          home,
          running: true,
          status,
          url: uiAddress(config.uiPort),
          sandbox: health?.sandboxRuntime ?? 'unknown',
          processes: rows,
        },
        null,
        2,
      ),
    );
  } else {
    print(`Steward (home ${home}) at ${uiAddress(config.uiPort)}: ${status}`);
    print(`Sandbox: ${health?.sandboxRuntime ?? 'unknown'}`);
    print('');
    print(formatStatusTable(rows));
  }
  return allOk ? EXIT.ok : EXIT.failure;
}
