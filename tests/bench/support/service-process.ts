// One Steward service started from its build for a benchmark, as the supervisor runs it: its own
// throwaway STEWARD_HOME holding only its bus credentials, the Prometheus endpoint off (so it cannot
// collide with a stack on this machine), ready when it logs that it is.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ServiceName } from '@steward/contracts';
import type { BusCredentials } from '@steward/messaging';
import { stopProcess } from './nats-server.js';

/** Output kept from a process, for the error when it fails to start. */
const LOG_TAIL_CHARS = 8_000;
const require = createRequire(import.meta.url);

/** The parent's environment minus any STEWARD_* setting, so a developer's shell cannot leak in. */
export function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('STEWARD_')) env[key] = value;
  }
  return env;
}

/** Keeps the end of a process's output and drains it, so a chatty process never blocks on a full pipe. */
export function tailOf(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

export function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly home: string;
  /** From spawning the process until it logged that it is ready. */
  readonly startMs: number;
  /** Stops the process (SIGTERM, then SIGKILL after `stopGraceMs`) and removes its home. */
  stop(): Promise<void>;
}

export interface ServiceProcessOptions {
  readonly service: ServiceName;
  readonly credentials: BusCredentials;
  /** Extra environment (e.g. STEWARD_SANDBOX_RUNTIME). */
  readonly env?: Readonly<Record<string, string>>;
  readonly homePrefix: string;
  readonly startDeadlineMs: number;
  readonly stopGraceMs?: number;
}

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const { service, credentials } = options;
  const home = mkdtempSync(join(tmpdir(), options.homePrefix));
  const natsRun = join(home, 'run', 'nats');
  mkdirSync(natsRun, { recursive: true, mode: 0o700 });
  writeFileSync(join(natsRun, `${service}.json`), JSON.stringify(credentials), { mode: 0o600 });
  const entry = require.resolve(`@steward/app-${service}`);
  const started = performance.now();
  const child = spawn(process.execPath, [entry], {
    // The repository's root, as the supervisor runs every service (entry is apps/<service>/dist/main.js).
    cwd: resolve(dirname(entry), '..', '..', '..'),
    env: {
      ...cleanEnvironment(),
      STEWARD_HOME: home,
      STEWARD_SERVICE: service,
      STEWARD_NATS_PORT: new URL(credentials.servers).port,
      STEWARD_METRICS_PORT_BASE: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = tailOf(child);
  const stop = async (): Promise<void> => {
    await stopProcess(child, options.stopGraceMs);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await untilLogged(child, `${service} ready`, log, options.startDeadlineMs);
  } catch (error) {
    await stop();
    throw error;
  }
  const startMs = performance.now() - started;
  if (child.pid === undefined) throw new Error(`${service} has no pid`);
  return { child, pid: child.pid, home, startMs, stop };
}

function untilLogged(
  child: ChildProcess,
  line: string,
  log: () => string,
  deadlineMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const what = line.split(' ')[0];
    const timer = setTimeout(
      () => reject(new Error(`${what} did not report ready within ${deadlineMs} ms:\n${log()}`)),
      deadlineMs,
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
      reject(new Error(`${what} could not be started: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${log()}`));
    });
  });
}
