import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SandboxLimits } from './sandbox-driver.js';

const run = promisify(execFile);
const CGROUP_ROOT = '/sys/fs/cgroup';
const CPU_PERIOD_US = 100_000;

/**
 * Memory, process and CPU limits for a bubblewrap sandbox, which has no engine to set them. With
 * write access to cgroups (v2, or v1's memory, pids and cpu controllers) the sandbox gets its own
 * cgroup; otherwise resource limits (prlimit) bound each process's address space and the user's
 * process count, which is weaker and said so in `describe`.
 */
export interface LimitsHandle {
  readonly kind: 'cgroup-v2' | 'cgroup-v1' | 'rlimit';
  /** Puts a (stopped) process under the limits before it runs anything. */
  apply(pid: number): Promise<void>;
  /** Processes of this cgroup killed for memory since it started, when known. */
  memoryKills(): Promise<number | undefined>;
  release(): Promise<void>;
}

export async function createLimits(name: string, limits: SandboxLimits): Promise<LimitsHandle> {
  if (await writable(path.join(CGROUP_ROOT, 'cgroup.subtree_control'))) {
    const v2 = await cgroupV2(name, limits).catch(() => undefined);
    if (v2 !== undefined) return v2;
  }
  if (
    (await writable(path.join(CGROUP_ROOT, 'memory'))) &&
    (await writable(path.join(CGROUP_ROOT, 'pids')))
  ) {
    const v1 = await cgroupV1(name, limits).catch(() => undefined);
    if (v1 !== undefined) return v1;
  }
  return rlimits(limits);
}

async function writable(target: string): Promise<boolean> {
  return access(target, constants.W_OK).then(
    () => true,
    () => false,
  );
}

async function cgroupV2(name: string, limits: SandboxLimits): Promise<LimitsHandle> {
  const dir = path.join(CGROUP_ROOT, 'steward', name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'memory.max'), String(limits.memoryBytes));
  await writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
  await writeFile(path.join(dir, 'pids.max'), String(limits.pids));
  await writeFile(
    path.join(dir, 'cpu.max'),
    `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`,
  ).catch(() => undefined);
  return {
    kind: 'cgroup-v2',
    apply: (pid) => writeFile(path.join(dir, 'cgroup.procs'), String(pid)),
    memoryKills: () => oomKills(path.join(dir, 'memory.events')),
    release: () => removeCgroup([dir]),
  };
}

async function cgroupV1(name: string, limits: SandboxLimits): Promise<LimitsHandle> {
  const memory = path.join(CGROUP_ROOT, 'memory', 'steward', name);
  const pids = path.join(CGROUP_ROOT, 'pids', 'steward', name);
  const cpu = path.join(CGROUP_ROOT, 'cpu', 'steward', name);
  await mkdir(memory, { recursive: true });
  await mkdir(pids, { recursive: true });
  await writeFile(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  await writeFile(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(
    () => undefined,
  );
  await writeFile(path.join(pids, 'pids.max'), String(limits.pids));
  const dirs = [memory, pids];
  if (await writable(path.join(CGROUP_ROOT, 'cpu'))) {
    await mkdir(cpu, { recursive: true });
    await writeFile(path.join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CPU_PERIOD_US)));
    dirs.push(cpu);
  }
  return {
    kind: 'cgroup-v1',
    apply: async (pid) => {
      for (const dir of dirs) await writeFile(path.join(dir, 'cgroup.procs'), String(pid));
    },
    memoryKills: () => oomKills(path.join(memory, 'memory.oom_control')),
    release: () => removeCgroup(dirs),
  };
}

function rlimits(limits: SandboxLimits): LimitsHandle {
  return {
    kind: 'rlimit',
    apply: async (pid) => {
      // The process count is per user across the machine: allow what the user runs now plus the budget.
      const { stdout } = await run('ps', ['-e', '-o', 'uid=']);
      const mine = stdout.split('\n').filter((uid) => Number(uid) === process.getuid?.()).length;
      await run('prlimit', [
        `--pid=${pid}`,
        `--nproc=${mine + limits.pids}`,
        // V8 reserves address space well beyond what it uses: the address-space cap is a backstop.
        `--as=${limits.memoryBytes * 4}`,
        `--fsize=${limits.tmpBytes * 8}`,
      ]);
    },
    memoryKills: async () => undefined,
    release: async () => undefined,
  };
}

/** A cgroup can only be removed once empty: its processes were killed with the sandbox. */
async function removeCgroup(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      try {
        await rmdir(dir);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/** The `oom_kill` counter of a cgroup v2 memory.events or v1 memory.oom_control file. */
export async function oomKills(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const count = text === undefined ? undefined : /(?:^|\n)oom_kill (\d+)/.exec(text)?.[1];
  return count === undefined ? undefined : Number(count);
}
