// A whole Steward stack started the way a person starts it — the real CLI, `up --detach` — in a
// throwaway STEWARD_HOME with its own free ports and the metrics endpoints off, so it never touches
// another stack on this machine; `down` stops it. The same steps as tests/support/stack.ts, which a
// benchmark cannot import (tests/bench is its own TypeScript project).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cleanEnvironment } from './service-process.js';

/** apps/cli/dist/main.js, as the workspace package resolves. */
const CLI_ENTRY = createRequire(import.meta.url).resolve('@steward/app-cli');
const REPO_ROOT = resolve(dirname(CLI_ENTRY), '..', '..', '..');
const PAGE_SCRIPT = join(REPO_ROOT, 'apps', 'ui', 'public', 'assets', 'app.js');
const PAGE_SOURCES = join(REPO_ROOT, 'apps', 'ui', 'web');
const CLI_DEADLINE_MS = 150_000;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface UiStack {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** The address `steward up` printed (`/?token=…`): what a person opens. */
  readonly address: string;
  readonly token: string;
  /** From running `up --detach` until it said the stack is running (healthy). */
  readonly upMs: number;
  /** fetch() against the ui with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** `steward down`, then removes the home; safe to call twice. */
  stop(): Promise<void>;
}

function runCli(args: readonly string[], env: Readonly<Record<string, string>>): Promise<CliResult> {
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
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_DEADLINE_MS);
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

function listen(): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolvePromise(server));
  });
}

/** Distinct loopback ports free right now (held together while picking, so they never repeat). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listen()));
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port assigned');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

/**
 * Sources of the page newer than its build: the stack serves the built page (apps/ui/public),
 * which `./steward up` rebuilds and this benchmark does not (a rebuild empties the folder under
 * whoever else serves it on this machine). Empty when the build is current.
 */
export async function staleBuild(): Promise<string[]> {
  if (!existsSync(PAGE_SCRIPT)) return [PAGE_SCRIPT];
  const built = statSync(PAGE_SCRIPT).mtimeMs;
  const entries = await readdir(PAGE_SOURCES, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => statSync(file).mtimeMs > built);
}

/** Starts the stack; `env` is added to every process of it (the model server's address, its key). */
export async function startUiStack(env: Readonly<Record<string, string>>): Promise<UiStack> {
  if (!existsSync(CLI_ENTRY))
    throw new Error(`the CLI is not built (${CLI_ENTRY}); run "npm run build" in ${REPO_ROOT}`);
  const home = mkdtempSync(join(tmpdir(), 'steward-bench-ui-'));
  const [uiPort, natsPort] = await freePorts(2);
  const stackEnv: Record<string, string> = {
    ...cleanEnvironment(),
    STEWARD_PORT: String(uiPort),
    STEWARD_NATS_PORT: String(natsPort),
    STEWARD_METRICS_PORT_BASE: '0',
    ...env,
    STEWARD_HOME: home,
  };
  const url = `http://127.0.0.1:${uiPort}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const down = await runCli(['down'], stackEnv);
      rmSync(home, { recursive: true, force: true });
      if (down.code !== 0)
        throw new Error(`steward down failed (exit ${down.code}):\n${down.stdout}${down.stderr}`);
    })();
    return stopping;
  };

  const started = performance.now();
  const up = await runCli(['up', '--detach'], stackEnv);
  const upMs = performance.now() - started;
  if (up.code !== 0) {
    await stop().catch(() => undefined);
    throw new Error(`steward up --detach failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  }
  const address = /Steward is running: (\S+)/.exec(up.stdout)?.[1];
  if (address === undefined) {
    await stop().catch(() => undefined);
    throw new Error(`steward up --detach printed no address:\n${up.stdout}${up.stderr}`);
  }
  const token = readFileSync(join(home, 'run', 'ui-token'), 'utf8').trim();
  return {
    url,
    address,
    token,
    upMs,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    stop,
  };
}
