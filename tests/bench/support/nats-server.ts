import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePasswords, renderNatsConfig } from '@steward/app-cli/dist/nats/nats-config.js';
import type { ServiceName } from '@steward/contracts';
import type { BusCredentials } from '@steward/messaging';

const HOST = '127.0.0.1';
const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 5_000;

export interface RunningNatsServer {
  readonly url: string;
  readonly version: string;
  credentials(service: ServiceName): BusCredentials;
  /** Stops the server and removes its config and store; safe to call more than once. */
  stop(): Promise<void>;
  /** Last resort from a synchronous `exit` handler: no waiting, the temp dir may stay behind. */
  killNow(): void;
}

/**
 * A real nats-server on a free loopback port, configured exactly as `steward up` configures it
 * (one user per service, the grant table's permissions), in a throwaway directory.
 */
export async function startNatsServer(): Promise<RunningNatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-nats-'));
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const passwords = generatePasswords();
    const configFile = join(dir, 'nats-server.conf');
    await writeFile(configFile, renderNatsConfig({ port, storeDir: join(dir, 'store'), passwords }), {
      mode: 0o600,
    });
    const output: string[] = [];
    child = spawn('nats-server', ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      output.push(chunk.toString());
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await waitForPort(child, port, () => output.join(''));

    const running = child;
    const url = `nats://${HOST}:${port}`;
    let stopping: Promise<void> | undefined;
    return {
      url,
      version: natsServerVersion(),
      credentials: (service) => ({ servers: url, user: service, pass: passwords[service] }),
      stop: () => {
        stopping ??= (async () => {
          await stopProcess(running);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
      killNow: () => {
        if (running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
      },
    };
  } catch (error) {
    if (child) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function natsServerVersion(): string {
  try {
    return execFileSync('nats-server', ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server:\s*/, '');
  } catch {
    return 'unknown';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

async function waitForPort(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`nats-server could not be started: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `nats-server exited (${child.exitCode ?? child.signalCode}) before listening:\n${log()}`,
      );
    }
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nats-server did not listen on ${HOST}:${port} within ${START_DEADLINE_MS} ms:\n${log()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL if the process has not gone after a grace period. */
export async function stopProcess(child: ChildProcess, graceMs = STOP_DEADLINE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
