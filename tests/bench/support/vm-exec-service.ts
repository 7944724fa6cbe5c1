// The real vm-service for the exec benchmark, started from its build as the supervisor runs it, with
// one sandbox runtime forced, and the folders its sandboxes mount.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxRuntimeName } from '@steward/contracts';
import type { BusCredentials } from '@steward/messaging';
import type { StartedServer } from './fs-read-servers.js';
import { killNow, startServiceProcess } from './service-process.js';

const START_DEADLINE_MS = 60_000;
/** Under root, Docker refuses folders root owns: sandboxed commands never run as root. */
const SANDBOX_OWNER = 1000;

export interface VmService extends StartedServer {
  readonly runtime: SandboxRuntimeName;
  /** The label vm-service puts on every container it starts (the digest of its STEWARD_HOME). */
  readonly owner: string;
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
  const started = await startServiceProcess({
    service: 'vm-service',
    credentials,
    env: { STEWARD_SANDBOX_RUNTIME: runtime },
    homePrefix: `steward-bench-vm-exec-${runtime}-`,
    startDeadlineMs: START_DEADLINE_MS,
    stopGraceMs: 30_000,
  });
  const owner = createHash('sha256').update(started.home).digest('hex').slice(0, 16);
  return {
    runtime,
    owner,
    pid: started.pid,
    startMs: started.startMs,
    stop: async () => {
      await started.stop();
      const left = removeContainersOf(owner);
      if (left > 0) console.warn(`vm-service (${runtime}) left ${left} container(s) behind; removed them`);
    },
    killNow: () => {
      killNow(started.child);
      removeContainersOf(owner);
    },
  };
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
