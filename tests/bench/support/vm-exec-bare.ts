// The bare ways of running `true` that the exec benchmark sets run_command against: a local spawn,
// bubblewrap on the sandbox's own root file system, `docker exec` into a running sandbox and
// `docker run` of the sandbox image; each is one process started and waited for, nothing more.
import { execFileSync, spawn } from 'node:child_process';
import { loadRuntimeConfig } from '@steward/config';
import { locateSandboxImage } from '@steward/app-vm-service/dist/sandbox/sandbox-image.js';
import type { SandboxRuntimeName } from '@steward/contracts';
import { cleanEnvironment } from './service-process.js';

const STDERR_CHARS = 2_000;
const PROBE_TIMEOUT_MS = 10_000;

export interface BareImage {
  readonly version: string;
  readonly rootfs: string;
  readonly dockerImage: string;
}

/**
 * The sandbox image vm-service will use: the same cache folder it resolves from the environment it
 * is given (without STEWARD_* settings), read the same way.
 */
export async function sandboxImage(): Promise<BareImage> {
  const { sandboxCacheDir } = loadRuntimeConfig(cleanEnvironment());
  const { version, rootfs, dockerImage } = await locateSandboxImage(sandboxCacheDir);
  return { version, rootfs, dockerImage };
}

/** Runs a command to its end; rejects unless it exits 0, with what it wrote to stderr. */
export function exitsCleanly(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_CHARS) stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

/** The bubblewrap command line of the brief: the image's root read-only, fresh /proc and /dev. */
export function bwrapArgs(rootfs: string, command: readonly string[]): string[] {
  return [
    '--unshare-all',
    '--die-with-parent',
    '--ro-bind',
    rootfs,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    ...command,
  ];
}

function answers(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: PROBE_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/** The runtimes this machine can run `true` with, tried the way the benchmark will use them. */
export function availableRuntimes(image: BareImage): SandboxRuntimeName[] {
  const runtimes: SandboxRuntimeName[] = [];
  if (answers('docker', ['image', 'inspect', image.dockerImage])) runtimes.push('docker');
  if (answers('bwrap', bwrapArgs(image.rootfs, ['true']))) runtimes.push('bubblewrap');
  return runtimes;
}
