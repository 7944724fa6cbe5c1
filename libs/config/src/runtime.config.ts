import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import {
  DEFAULT_METRICS_PORTS,
  DEFAULT_NATS_PORT,
  DEFAULT_UI_PORT,
  SERVICE_NAMES,
  StewardError,
  isServiceName,
  type ServiceName,
} from '@steward/contracts';

/** The version every service reports in health checks and telemetry. */
export const STEWARD_VERSION = '0.1.0';

export type Env = Readonly<Record<string, string | undefined>>;

export interface StewardPaths {
  readonly home: string;
  readonly runDir: string;
  readonly natsRunDir: string;
  readonly dataDir: string;
  readonly trashDir: string;
  readonly logsDir: string;
  readonly pluginsDir: string;
  readonly settingsFile: string;
  readonly uiTokenFile: string;
  readonly natsConfigFile: string;
  readonly natsStoreDir: string;
  pidFile(name: string): string;
  credentialsFile(service: ServiceName): string;
  databaseFile(service: ServiceName): string;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RuntimeConfig {
  readonly paths: StewardPaths;
  readonly uiPort: number;
  readonly natsPort: number;
  /** `null` when the Prometheus endpoint of that service is switched off. */
  readonly metricsPorts: Readonly<Record<ServiceName, number | null>>;
  readonly otlpEndpoint: string | undefined;
  readonly logLevel: LogLevel;
  readonly managedSettingsDir: string | undefined;
  /** Path of the Docker engine's unix socket (vm-service only). */
  readonly dockerSocket: string;
  /**
   * Where sandbox root filesystems are built and kept, shared by every STEWARD_HOME of the user
   * (`STEWARD_SANDBOX_CACHE`, else `/var/cache/steward/sandbox` for root, else
   * `$XDG_CACHE_HOME/steward/sandbox`, else `~/.cache/steward/sandbox`).
   */
  readonly sandboxCacheDir: string;
  /** `STEWARD_SANDBOX_RUNTIME`: `auto` (Docker when reachable, else bubblewrap) or one of them only. */
  readonly sandboxRuntime: 'auto' | 'docker' | 'bubblewrap';
  readonly version: string;
}

const MAX_PORT = 65535;

/** An empty variable counts as unset: `STEWARD_PORT= steward up` must not mean port 0. */
function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function expandHome(value: string): string {
  if (value === '~') return homedir();
  if (value.startsWith('~/')) return join(homedir(), value.slice(2));
  return value;
}

/** A pid file stem becomes part of a path, so it must not be able to climb out of `run/`. */
function safeStem(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new StewardError('INVALID_INPUT', `"${name}" is not a valid pid file name`, { details: { name } });
  }
  return name;
}

export function resolveStewardPaths(env: Env = process.env): StewardPaths {
  const configured = envValue(env, 'STEWARD_HOME');
  const home = resolve(configured === undefined ? join(homedir(), '.steward') : expandHome(configured));
  const runDir = join(home, 'run');
  const natsRunDir = join(runDir, 'nats');
  const dataDir = join(home, 'data');
  return Object.freeze({
    home,
    runDir,
    natsRunDir,
    dataDir,
    trashDir: join(home, 'trash'),
    logsDir: join(home, 'logs'),
    pluginsDir: join(home, 'plugins'),
    settingsFile: join(home, 'settings.json'),
    uiTokenFile: join(runDir, 'ui-token'),
    natsConfigFile: join(runDir, 'nats-server.conf'),
    natsStoreDir: join(dataDir, 'jetstream'),
    pidFile: (name: string) => join(runDir, `${safeStem(name)}.pid`),
    credentialsFile: (service: ServiceName) => join(natsRunDir, `${service}.json`),
    databaseFile: (service: ServiceName) => join(dataDir, `${service}.sqlite`),
  });
}

function parseInteger(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StewardError(
      'INVALID_INPUT',
      `${name} must be an integer from ${min} to ${max}, got "${raw}"`,
      {
        details: { variable: name, value: raw },
      },
    );
  }
  return value;
}

function parsePort(env: Env, name: string, fallback: number): number {
  return parseInteger(env, name, 1, MAX_PORT) ?? fallback;
}

/**
 * `STEWARD_METRICS_PORT_BASE=0` switches every endpoint off, so a second stack on the same machine
 * does not collide with the first one's fixed Prometheus ports.
 */
function parseMetricsPorts(env: Env): Record<ServiceName, number | null> {
  const base = parseInteger(env, 'STEWARD_METRICS_PORT_BASE', 0, MAX_PORT - (SERVICE_NAMES.length - 1));
  const ports = {} as Record<ServiceName, number | null>;
  SERVICE_NAMES.forEach((service, index) => {
    if (base === undefined) ports[service] = DEFAULT_METRICS_PORTS[service];
    else ports[service] = base === 0 ? null : base + index;
  });
  return ports;
}

function parseLogLevel(env: Env): LogLevel {
  const raw = envValue(env, 'STEWARD_LOG_LEVEL');
  if (raw === undefined) return 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === raw.toLowerCase());
  if (level === undefined) {
    throw new StewardError(
      'INVALID_INPUT',
      `STEWARD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`,
      {
        details: { variable: 'STEWARD_LOG_LEVEL', value: raw },
      },
    );
  }
  return level;
}

function parseOtlpEndpoint(env: Env): string | undefined {
  const raw = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw)) {
    throw new StewardError('INVALID_INPUT', `OTEL_EXPORTER_OTLP_ENDPOINT must be a URL, got "${raw}"`, {
      details: { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: raw },
    });
  }
  return raw;
}

function parseManagedSettingsDir(env: Env): string | undefined {
  const raw = envValue(env, 'STEWARD_MANAGED_SETTINGS_DIR');
  if (raw === undefined) return undefined;
  const expanded = expandHome(raw);
  return isAbsolute(expanded) ? expanded : resolve(expanded);
}

/** Validates the whole environment up front so a bad variable stops a service at start, by name. */
export function loadRuntimeConfig(env: Env = process.env): RuntimeConfig {
  return Object.freeze({
    paths: resolveStewardPaths(env),
    uiPort: parsePort(env, 'STEWARD_PORT', DEFAULT_UI_PORT),
    natsPort: parsePort(env, 'STEWARD_NATS_PORT', DEFAULT_NATS_PORT),
    metricsPorts: Object.freeze(parseMetricsPorts(env)),
    otlpEndpoint: parseOtlpEndpoint(env),
    logLevel: parseLogLevel(env),
    managedSettingsDir: parseManagedSettingsDir(env),
    dockerSocket: parseDockerSocket(env),
    sandboxCacheDir: parseSandboxCacheDir(env),
    sandboxRuntime: parseSandboxRuntime(env),
    version: STEWARD_VERSION,
  });
}

function parseSandboxRuntime(env: Env): RuntimeConfig['sandboxRuntime'] {
  const raw = envValue(env, 'STEWARD_SANDBOX_RUNTIME') ?? 'auto';
  if (raw === 'auto' || raw === 'docker' || raw === 'bubblewrap') return raw;
  throw new StewardError(
    'INVALID_INPUT',
    `STEWARD_SANDBOX_RUNTIME must be auto, docker or bubblewrap, got "${raw}"`,
    { details: { variable: 'STEWARD_SANDBOX_RUNTIME' } },
  );
}

/**
 * Root's own cache (`/root/.cache`) is closed to everyone else, but a sandbox started by root runs
 * as the folders' owner and must read its root file system: root keeps it in `/var/cache`.
 */
const ROOT_SANDBOX_CACHE = '/var/cache/steward/sandbox';

function parseSandboxCacheDir(env: Env): string {
  const explicit = envValue(env, 'STEWARD_SANDBOX_CACHE');
  if (explicit !== undefined) return resolve(expandHome(explicit));
  if (process.getuid?.() === 0) return ROOT_SANDBOX_CACHE;
  const xdg = envValue(env, 'XDG_CACHE_HOME');
  const cacheHome = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(cacheHome, 'steward', 'sandbox');
}

const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The Docker engine's local socket: `DOCKER_HOST=unix://…` is honoured; remote engines are not used for sandboxes. */
function parseDockerSocket(env: Env): string {
  const raw = envValue(env, 'DOCKER_HOST');
  if (raw === undefined) return DEFAULT_DOCKER_SOCKET;
  if (!raw.startsWith('unix://')) {
    throw new StewardError(
      'INVALID_INPUT',
      `DOCKER_HOST must be a unix:// socket for sandboxes, got "${raw}"`,
      {
        details: { variable: 'DOCKER_HOST' },
      },
    );
  }
  return raw.slice('unix://'.length);
}

export function serviceFromEnv(env: Env = process.env): ServiceName {
  const raw = envValue(env, 'STEWARD_SERVICE');
  if (raw === undefined || !isServiceName(raw)) {
    throw new StewardError(
      'INVALID_INPUT',
      `STEWARD_SERVICE must be one of ${SERVICE_NAMES.join(', ')}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`,
      { details: { variable: 'STEWARD_SERVICE', value: raw } },
    );
  }
  return raw;
}
