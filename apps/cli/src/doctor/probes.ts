import { execFile } from 'node:child_process';
import { request } from 'node:http';

export type RunOutcome =
  | { readonly kind: 'ok'; readonly output: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly output: string };

export type DockerOutcome = 'ok' | 'missing' | 'denied' | 'not-responding';

/** What the doctor asks the machine; tests hand in their own answers. */
export interface Probes {
  readonly platform: NodeJS.Platform;
  nodeVersion(): string;
  run(command: string, args: readonly string[]): Promise<RunOutcome>;
  dockerPing(socketPath: string): Promise<DockerOutcome>;
}

const RUN_TIMEOUT_MS = 10_000;

function runCommand(command: string, args: readonly string[]): Promise<RunOutcome> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: RUN_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error === null) return resolve({ kind: 'ok', output });
      const code = (error as NodeJS.ErrnoException).code;
      resolve(code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', output: output || error.message });
    });
  });
}

/** `GET /_ping` on the engine's socket: the cheapest request that proves the daemon answers. */
function pingDocker(socketPath: string): Promise<DockerOutcome> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 3_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? 'ok' : 'not-responding');
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve('missing');
      else if (error.code === 'EACCES' || error.code === 'EPERM') resolve('denied');
      else resolve('not-responding');
    });
    req.end();
  });
}

export const systemProbes: Probes = {
  platform: process.platform,
  nodeVersion: () => process.versions.node,
  run: runCommand,
  dockerPing: pingDocker,
};
