import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_NAMES, type ServiceName as Service } from '@steward/contracts';

/** The checkout under test; the stack runs from its built `dist/` folders. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_ENTRY = join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js');

/** The six services, as the contracts name them. */
export { SERVICE_NAMES as SERVICES, type ServiceName as Service } from '@steward/contracts';

export interface BusCredentials {
  readonly servers: string;
  readonly user: string;
  readonly pass: string;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StackOptions {
  /** Extra environment for every process of the stack; may set ports, not STEWARD_HOME. */
  readonly env?: Record<string, string>;
}

export interface Stack {
  /** The temporary STEWARD_HOME, removed by stop(). */
  readonly home: string;
  readonly uiPort: number;
  readonly natsPort: number;
  /** The UI's base URL, `http://127.0.0.1:<uiPort>` (no trailing slash). */
  readonly url: string;
  /** The address `steward up` printed, with the token: what a person opens. */
  readonly address: string;
  readonly token: string;
  /** The environment the stack runs with; pass it to runCli() to talk to this stack. */
  readonly env: Readonly<Record<string, string>>;
  /** What `steward up --detach` wrote to stdout and stderr. */
  readonly upOutput: CliResult;
  /** A service's bus credentials from `run/nats/<service>.json`. */
  credentials(service: Service): BusCredentials;
  /** The pid in `run/<name>.pid` (a service, `nats-server` or `supervisor`), if any. */
  pid(name: string): number | undefined;
  /** fetch() against the UI with the bearer token set. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Resolves once `/api/health` says every service is ok; rejects with the last answer on timeout. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Runs the real CLI against this stack. */
  cli(args: readonly string[], timeoutMs?: number): Promise<CliResult>;
  /** `steward down`, then removes the home. Safe to call twice. */
  stop(): Promise<void>;
}

/** Runs `node apps/cli/dist/main.js <args>` with exactly `env`. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 150_000,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolvePromise(server));
  });
}

/** Distinct loopback ports free right now (held together while picking, so they never repeat). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listen()));
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port assigned');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** The first of `count` consecutive loopback ports that are all free now (the metrics range). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const held: Server[] = [];
    try {
      for (let port = base; port < base + count; port++) held.push(await listen(port));
      return base;
    } catch {
      // One of them is taken; try another range.
    } finally {
      await Promise.all(held.map((server) => new Promise((r) => server.close(r))));
    }
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** The parent's environment minus any STEWARD_* setting, so a developer's shell cannot leak in. */
function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('STEWARD_')) env[key] = value;
  }
  return env;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

function isCredentials(value: unknown): value is BusCredentials {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record['servers'] === 'string' &&
    typeof record['user'] === 'string' &&
    typeof record['pass'] === 'string'
  );
}

async function pollHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(3_000) });
      const body = (await response.json()) as {
        status?: string;
        services?: Record<string, { status?: string }>;
      };
      last = JSON.stringify(body);
      if (body.status === 'ok' && SERVICE_NAMES.every((service) => body.services?.[service]?.status === 'ok'))
        return;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() >= deadline)
      throw new Error(`stack at ${url} not healthy after ${timeoutMs} ms; last answer: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts a whole Steward stack the way a person does — the real CLI, `up --detach` — in a fresh
 * temporary STEWARD_HOME with its own free ports and metrics endpoints off, so stacks never touch
 * each other or a developer's own.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const home = mkdtempSync(join(tmpdir(), 'steward-stack-'));
  const [pickedUi, pickedNats] = await freePorts(2);
  const env: Record<string, string> = {
    ...baseEnvironment(),
    STEWARD_PORT: String(pickedUi),
    STEWARD_NATS_PORT: String(pickedNats),
    STEWARD_METRICS_PORT_BASE: '0',
    ...options.env,
    STEWARD_HOME: home,
  };
  const uiPort = Number(env['STEWARD_PORT']);
  const natsPort = Number(env['STEWARD_NATS_PORT']);
  const url = `http://127.0.0.1:${uiPort}`;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const down = await runCli(['down'], env);
      rmSync(home, { recursive: true, force: true });
      if (down.code !== 0)
        throw new Error(`steward down failed (${down.code}):\n${down.stdout}${down.stderr}`);
    })();
    return stopped;
  };

  const upOutput = await runCli(['up', '--detach'], env);
  if (upOutput.code !== 0) {
    await stop().catch(() => undefined);
    throw new Error(
      `steward up --detach failed (exit ${upOutput.code}):\n${upOutput.stdout}${upOutput.stderr}`,
    );
  }
  const token = readFileSync(join(home, 'run', 'ui-token'), 'utf8').trim();
  const address = /Steward is running: (\S+)/.exec(upOutput.stdout)?.[1] ?? '';

  return {
    home,
    uiPort,
    natsPort,
    url,
    address,
    token,
    env,
    upOutput,
    credentials(service) {
      const value = readJson(join(home, 'run', 'nats', `${service}.json`));
      if (!isCredentials(value)) throw new Error(`credentials of ${service} have the wrong shape`);
      return value;
    },
    pid(name) {
      try {
        const pid = Number(readFileSync(join(home, 'run', `${name}.pid`), 'utf8').trim());
        return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
      } catch {
        return undefined;
      }
    },
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${url}${path.startsWith('/') ? path : `/${path}`}`, { ...init, headers });
    },
    waitHealthy: (timeoutMs = 60_000) => pollHealthy(url, timeoutMs),
    cli: (args, timeoutMs) => runCli(args, env, timeoutMs),
    stop,
  };
}
