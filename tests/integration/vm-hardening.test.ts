import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vmExecRun, vmSandboxClose, vmSandboxOpen } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { dockerRunning } from '../support/docker.js';
import { busAs } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';

/** Inspects live sandboxes from outside and finds every hardening setting ARCHITECTURE and THREATS ask for. */

const isRoot = process.getuid?.() === 0;

async function openAndRun(stack: Stack, taskId: string): Promise<{ bus: BusClient; folder: string }> {
  const bus = await busAs(stack, 'orchestrator');
  const folder = mkdtempSync(join(tmpdir(), 'steward-harden-'));
  if (isRoot) chownSync(folder, 1000, 1000);
  await bus.request(vmSandboxOpen, { taskId, folders: [folder] });
  const result = await bus.request(vmExecRun, { taskId, execId: `${taskId}-1`, command: 'true' });
  expect(result.exitCode).toBe(0);
  return { bus, folder };
}

describe.runIf(dockerRunning())('a live Docker sandbox', () => {
  let stack: Stack;
  let bus: BusClient;
  let folder: string;
  afterAll(async () => {
    await bus?.request(vmSandboxClose, { taskId: 'harden-docker' }).catch(() => undefined);
    await bus?.close();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('has every hardening setting', async () => {
    stack = await startStack({ env: { STEWARD_SANDBOX_RUNTIME: 'docker' } });
    ({ bus, folder } = await openAndRun(stack, 'harden-docker'));
    const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=steward.task=harden-docker'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(ids).toHaveLength(1);
    const [info] = JSON.parse(execFileSync('docker', ['inspect', ids[0]!], { encoding: 'utf8' })) as [
      {
        Config: { User: string; Env: string[]; NetworkDisabled?: boolean };
        HostConfig: Record<string, unknown> & {
          CapDrop: string[];
          CapAdd: string[] | null;
          SecurityOpt: string[];
          Tmpfs: Record<string, string>;
          Binds: string[];
        };
        Mounts: { Source: string; Destination: string; RW: boolean }[];
        NetworkSettings: { Networks: Record<string, unknown> };
      },
    ];
    const host = info.HostConfig;
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.SecurityOpt).toContain('no-new-privileges:true');
    expect(host.Privileged).toBe(false);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(Object.keys(host.Tmpfs).sort()).toEqual(['/home/sandbox', '/tmp']);
    expect(host.Tmpfs['/tmp']).toMatch(/size=\d+/);
    expect(host.PidsLimit).toBeGreaterThan(0);
    expect(host.Memory).toBeGreaterThan(0);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBeGreaterThan(0);
    expect(host.NetworkMode).toBe('none');
    // Networking is disabled outright: not even the `none` network is attached.
    expect(Object.keys(info.NetworkSettings.Networks).filter((name) => name !== 'none')).toEqual([]);
    expect(info.Config.NetworkDisabled).toBe(true);
    for (const mode of ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode']) {
      expect(String(host[mode] ?? ''), mode).not.toBe('host');
    }
    const user = info.Config.User.split(':')[0];
    expect(user).not.toBe('0');
    expect(user).not.toBe('root');
    expect(user).not.toBe('');
    const sources = info.Mounts.map((mount) => mount.Source);
    expect(sources.some((source) => source.includes('docker.sock'))).toBe(false);
    expect(info.Mounts.filter((mount) => mount.RW).map((mount) => mount.Destination)).toEqual([folder]);
    expect(info.Mounts.find((mount) => mount.Destination === '/run/steward-agent')?.RW).toBe(false);
    expect(info.Config.Env.join('\n')).not.toMatch(/NATS|PASS|TOKEN|KEY=/);
  }, 240_000);
});

describe('a live bubblewrap sandbox', () => {
  let stack: Stack;
  let bus: BusClient;
  let folder: string;
  afterAll(async () => {
    await bus?.request(vmSandboxClose, { taskId: 'harden-bwrap' }).catch(() => undefined);
    await bus?.close();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('has every hardening setting', async () => {
    stack = await startStack({ env: { STEWARD_SANDBOX_RUNTIME: 'bubblewrap' } });
    ({ bus, folder } = await openAndRun(stack, 'harden-bwrap'));
    // The agent is the `node …/agent.mjs` process under this stack's bubblewrap (other stacks'
    // sandboxes, Docker ones included, may be running on the same machine).
    const owner = createHash('sha256').update(stack.home).digest('hex').slice(0, 16);
    const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
    const read = (pid: string, file: string): string => {
      try {
        return readFileSync(`/proc/${pid}/${file}`, 'utf8');
      } catch {
        return '';
      }
    };
    const launchers = new Set(
      pids.filter((pid) => read(pid, 'environ').split('\0').includes(`STEWARD_SANDBOX_OWNER=${owner}`)),
    );
    const parentOf = (pid: string): string => {
      const stat = read(pid, 'stat');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '0';
    };
    const underLauncher = (pid: string): boolean => {
      for (let at = parentOf(pid), hops = 0; at !== '0' && hops < 16; at = parentOf(at), hops += 1) {
        if (launchers.has(at)) return true;
      }
      return false;
    };
    const agentPid = pids.find(
      (pid) =>
        read(pid, 'cmdline').includes('/run/steward-agent/agent.mjs') &&
        read(pid, 'environ').includes('STEWARD_SANDBOX_AGENT=1') &&
        underLauncher(pid),
    );
    expect(agentPid).toBeDefined();
    const status = readFileSync(`/proc/${agentPid}/status`, 'utf8');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      expect(new RegExp(`${set}:\\s+0+\\n`).test(status), set).toBe(true);
    }
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    const own = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);
    for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt', 'user']) {
      expect(readlinkSync(`/proc/${agentPid}/ns/${ns}`), ns).not.toBe(own(ns));
    }
    const uidLine = /Uid:\s+(\d+)/.exec(status)?.[1];
    const inside = await bus.request(vmExecRun, {
      taskId: 'harden-bwrap',
      execId: 'harden-bwrap-2',
      command:
        'id -u; touch /usr/x 2>&1; cat /proc/self/mounts | grep -E " / | /tmp " ; awk "NR>2{print \\$1}" /proc/net/dev',
    });
    expect(inside.stdout.text.split('\n')[0]).not.toBe('0');
    expect(inside.stdout.text).toMatch(/Read-only file system/);
    expect(inside.stdout.text).toMatch(/ \/ \S+ ro[, ]/);
    expect(inside.stdout.text).toMatch(/tmpfs \/tmp tmpfs rw/);
    expect(inside.stdout.text.trim().split('\n').at(-1)).toBe('lo:');
    expect(uidLine).toBeDefined();
    // Root can give the sandbox its own cgroup; otherwise resource limits apply (process-limits.ts).
    if (isRoot) expect(readFileSync(`/proc/${agentPid}/cgroup`, 'utf8')).toMatch(/steward\//);
  }, 240_000);
});
