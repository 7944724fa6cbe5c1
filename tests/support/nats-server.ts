import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@steward/contracts';
import { freePort } from './stack.js';

/** The generated config renderer, as built (tests run against the same code `steward up` uses). */
const natsConfigModule = '../../apps/cli/dist/nats/nats-config.js';

export interface TestNatsServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly configText: string;
  readonly passwords: Readonly<Record<ServiceName, string>>;
  stop(): Promise<void>;
}

export function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = tcpConnect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open in ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** A real nats-server with the configuration `steward up` generates, on a free loopback port. */
export async function startNatsServer(): Promise<TestNatsServer> {
  const { renderNatsConfig, generatePasswords } = (await import(natsConfigModule)) as {
    renderNatsConfig(input: {
      port: number;
      storeDir: string;
      passwords: Record<ServiceName, string>;
    }): string;
    generatePasswords(): Record<ServiceName, string>;
  };
  const dir = mkdtempSync(join(tmpdir(), 'steward-nats-'));
  const port = await freePort();
  const passwords = generatePasswords();
  const configText = renderNatsConfig({ port, storeDir: join(dir, 'jetstream'), passwords });
  const configFile = join(dir, 'nats-server.conf');
  writeFileSync(configFile, configText, { mode: 0o600 });
  const child: ChildProcess = spawn('nats-server', ['-c', configFile], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    dir,
    configText,
    passwords,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
