// The real vm-service for the exec benchmark, started from its build as the supervisor runs it, with
// one sandbox runtime forced, and the folders its sandboxes mount.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { SandboxRuntimeName } from '@steward/contracts';
import type { BusCredentials } from '@steward/messaging';
import type { StartedServer } from './fs-read-servers.js';
import { stopProcess } from './nats-server.js';

const START_DEADLINE_MS = 60_000;
const LOG_TAIL_CHARS = 8_000;
/** Under root, Docker refuses folders root owns: sandboxed commands never run as root. */
const SANDBOX_OWNER = 1000;
const require = createRequire(import.meta.url);

export interface VmService extends StartedServer {
  readonly runtime: SandboxRuntimeName;
  /** The label vm-service puts on every container it starts (the digest of its STEWARD_HOME). */
  readonly owner: string;
}

/** The parent's environment minus any STEWARD_* setting, so a developer's shell cannot leak in. */
export function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('STEWARD_')) env[key] = value;
  }
  return env;
}

/**
 * vm-service (`node apps/vm-service/dist/main.js`) in a throwaway STEWARD_HOME holding only its bus
 * credentials, with `STEWARD_SANDBOX_RUNTIME` set and the Prometheus endpoint off. Ready when it
 * logs that it is. Stopping it (SIGTERM) makes it remove every sandbox it started, spare included.
 */
export async function startVmService(
  credentials: BusCredentials,
  runtime: SandboxRuntimeName,
): Promise<VmService> {
  const home = mkdtempSync(join(tmpdir(), `steward-bench-vm-exec-${runtime}-`));
  const natsRun = join(home, 'run', 'nats');
  mkdirSync(natsRun, { recursive: true, mode: 0o700 });
  writeFileSync(join(natsRun, 'vm-service.json'), JSON.stringify(credentials), { mode: 0o600 });
  const owner = createHash('sha256').update(home).digest('hex').slice(0, 16);
  const entry = require.resolve('@steward/app-vm-service');
  const started = performance.now();
  const child = spawn(process.execPath, [entry], {
    cwd: resolve(dirname(entry), '..', '..', '..'),
    env: {
      ...cleanEnvironment(),
      STEWARD_HOME: home,
      STEWARD_SERVICE: 'vm-service',
      STEWARD_NATS_PORT: new URL(credentials.servers).port,
      STEWARD_METRICS_PORT_BASE: '0',
      STEWARD_SANDBOX_RUNTIME: runtime,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-LOG_TAIL_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const stop = async (): Promise<void> => {
    await stopProcess(child, 30_000);
    const left = removeContainersOf(owner);
    if (left > 0) console.warn(`vm-service (${runtime}) left ${left} container(s) behind; removed them`);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await untilLogged(child, 'vm-service ready', () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  const startMs = performance.now() - started;
  if (child.pid === undefined) throw new Error('vm-service has no pid');
  return {
    runtime,
    owner,
    pid: child.pid,
    startMs,
    stop,
    killNow: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      removeContainersOf(owner);
    },
  };
}

function untilLogged(child: ChildProcess, line: string, log: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vm-service did not report ready within ${START_DEADLINE_MS} ms:\n${log()}`)),
      START_DEADLINE_MS,
    );
    const watch = (): void => {
      if (!log().includes(line)) return;
      clearTimeout(timer);
      child.stdout?.off('data', watch);
      resolve();
    };
    child.stdout?.on('data', watch);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`vm-service could not be started: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`vm-service exited (${code ?? signal}) before it was ready:\n${log()}`));
    });
  });
}

/** A fresh folder under the temp dir, by its real path, owned by a non-root user when we are root. */
export function sandboxFolder(name: string): string {
  const folder = realpathSync(mkdtempSync(join(tmpdir(), `steward-bench-vm-exec-${name}-`)));
  if (process.getuid?.() === 0) chownSync(folder, SANDBOX_OWNER, SANDBOX_OWNER);
  return folder;
}

function dockerIds(filters: readonly string[]): string[] {
  try {
    return execFileSync(
      'docker',
      ['ps', '-aq', '--no-trunc', ...filters.flatMap((filter) => ['--filter', filter])],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 },
    )
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The running containers a vm-service started for a task. */
export function containersOf(owner: string, taskId: string): string[] {
  return dockerIds([`label=steward.owner=${owner}`, `label=steward.task=${taskId}`, 'status=running']);
}

/**
 * Left-overs of a vm-service that could not clean up (killed, or a bug); removing them keeps the
 * machine clean. Answers how many there were.
 */
export function removeContainersOf(owner: string): number {
  const ids = dockerIds([`label=steward.owner=${owner}`]);
  if (ids.length === 0) return 0;
  try {
    execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    // Docker is gone: nothing more can be done from here.
  }
  return ids.length;
}
