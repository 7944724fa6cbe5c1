import {
  healthReportSchema,
  healthStatusSchema,
  SERVICE_NAMES,
  type HealthReport,
  type HealthStatus,
} from '@steward/contracts';

const REQUEST_TIMEOUT_MS = 3_000;

export interface PublicHealth {
  readonly status: HealthStatus;
  readonly services: Readonly<Record<string, { readonly status: HealthStatus }>>;
  readonly sandboxRuntime: string;
}

export interface ServiceHealthDetail {
  readonly status: HealthStatus;
  readonly detail?: string;
  readonly report?: HealthReport;
}

export interface DetailedHealth {
  readonly status: HealthStatus;
  readonly services: Readonly<Record<string, ServiceHealthDetail>>;
  readonly sandboxRuntime: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseStatus(value: unknown): HealthStatus | undefined {
  const parsed = healthStatusSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function parseRuntime(body: Record<string, unknown>): string {
  const sandbox = body['sandbox'];
  return isRecord(sandbox) && typeof sandbox['runtime'] === 'string' ? sandbox['runtime'] : 'unknown';
}

function parseServices<T>(
  value: unknown,
  parseOne: (entry: Record<string, unknown>, status: HealthStatus) => T,
): Record<string, T> | undefined {
  if (!isRecord(value)) return undefined;
  const services: Record<string, T> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!isRecord(entry)) return undefined;
    const status = parseStatus(entry['status']);
    if (status === undefined) return undefined;
    services[name] = parseOne(entry, status);
  }
  return services;
}

/** `GET /api/health` as the UI serves it; undefined when it does not answer or answers nonsense. */
export function parsePublicHealth(body: unknown): PublicHealth | undefined {
  if (!isRecord(body)) return undefined;
  const status = parseStatus(body['status']);
  const services = parseServices(body['services'], (_entry, serviceStatus) => ({ status: serviceStatus }));
  if (status === undefined || services === undefined) return undefined;
  return { status, services, sandboxRuntime: parseRuntime(body) };
}

export function parseDetailedHealth(body: unknown): DetailedHealth | undefined {
  if (!isRecord(body)) return undefined;
  const status = parseStatus(body['status']);
  const services = parseServices(body['services'], (entry, serviceStatus): ServiceHealthDetail => {
    const report = healthReportSchema.safeParse(entry['report']);
    const detail = entry['detail'];
    return {
      status: serviceStatus,
      ...(typeof detail === 'string' ? { detail } : {}),
      ...(report.success ? { report: report.data } : {}),
    };
  });
  if (status === undefined || services === undefined) return undefined;
  return { status, services, sandboxRuntime: parseRuntime(body) };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

export async function fetchPublicHealth(port: number): Promise<PublicHealth | undefined> {
  return parsePublicHealth(await getJson(`http://127.0.0.1:${port}/api/health`));
}

export async function fetchDetailedHealth(port: number, token: string): Promise<DetailedHealth | undefined> {
  return parseDetailedHealth(
    await getJson(`http://127.0.0.1:${port}/api/health/details`, { authorization: `Bearer ${token}` }),
  );
}

/** The services that are not `ok` (a service missing from the answer counts as not ok). */
export function servicesNotOk(health: PublicHealth | undefined): string[] {
  return SERVICE_NAMES.filter((name) => health?.services[name]?.status !== 'ok');
}
