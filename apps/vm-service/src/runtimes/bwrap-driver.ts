import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StewardError } from '@steward/contracts';
import { AgentChannel } from '../agent/agent-channel.js';
import { createLimits } from './process-limits.js';
import {
  AGENT_MOUNT,
  EGRESS_MOUNT,
  SANDBOX_HOME,
  type Sandbox,
  type SandboxDriver,
  type SandboxSpec,
} from './sandbox-driver.js';

const AGENT_STDERR_BYTES = 16 * 1024;
/** Marks our bubblewrap processes, so a restarted vm-service finds the ones left behind. */
const OWNER_ENV = 'STEWARD_SANDBOX_OWNER';
const STOP_WAIT_MS = 2_000;

/**
 * Sandboxes as bubblewrap processes using the same root file system as the Docker image: new user,
 * PID, network, IPC, UTS and cgroup namespaces, all capabilities dropped, the image read-only, tmpfs
 * /tmp and home, only the task's folders and the agent script bound in. Limits come from a cgroup
 * where one can be made, else from resource limits (see process-limits.ts).
 */
export class BwrapDriver implements SandboxDriver {
  readonly runtime = 'bubblewrap' as const;

  constructor(private readonly owner: string) {}

  async start(spec: SandboxSpec): Promise<Sandbox> {
    const name = `${this.owner.slice(0, 12)}-${randomBytes(4).toString('hex')}`;
    const limits = await createLimits(name, spec.limits);
    // The shell stops itself before exec'ing bubblewrap, so the limits hold from its first instruction.
    const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(
      '/bin/sh',
      ['-c', 'kill -STOP $$; exec "$@"', 'sh', 'bwrap', ...bwrapArgs(spec)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', [OWNER_ENV]: this.owner },
        ...(spec.hostUser === undefined ? {} : { uid: spec.hostUser.uid, gid: spec.hostUser.gid }),
      },
    );
    const pid = child.pid;
    if (pid === undefined) {
      await limits.release();
      throw new StewardError('UNAVAILABLE', 'bubblewrap could not be started');
    }
    try {
      await waitStopped(pid);
      await limits.apply(pid);
      process.kill(pid, 'SIGCONT');
    } catch (error) {
      child.kill('SIGKILL');
      await limits.release();
      throw new StewardError('UNAVAILABLE', `the sandbox could not be given its limits: ${String(error)}`);
    }
    let agentStderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (agentStderr.length < AGENT_STDERR_BYTES) agentStderr += chunk.toString('utf8');
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const channel = new AgentChannel(child.stdin, child.stdout, `sandbox of task ${spec.taskId}`);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await limits.release();
    };
    void exited.then(release);
    return {
      runtime: 'bubblewrap',
      id: String(pid),
      channel,
      stopReason: async () => {
        if (child.exitCode === null && child.signalCode === null) return undefined;
        if (((await limits.memoryKills().catch(() => undefined)) ?? 0) > 0) {
          return `the sandbox ran out of memory (limit ${Math.round(spec.limits.memoryBytes / 1024 / 1024)} MiB)`;
        }
        const { code, signal } = await exited;
        return `the sandbox stopped (${signal ?? `exit code ${code}`})${agentStderr ? `: ${agentStderr.slice(0, 500)}` : ''}`;
      },
      memoryKills: () => limits.memoryKills(),
      destroy: async () => {
        channel.fail(new StewardError('CANCELLED', 'the sandbox was removed'));
        // --die-with-parent and the agent's own exit on end of input take the namespace down; a kill
        // of bubblewrap's own process makes sure.
        child.kill('SIGKILL');
        await exited;
        await release();
      },
    };
  }

  async reapOrphans(): Promise<number> {
    let reaped = 0;
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
      if (!environ.split('\0').includes(`${OWNER_ENV}=${this.owner}`)) continue;
      try {
        process.kill(Number(name), 'SIGKILL');
        reaped += 1;
      } catch {
        // Gone already.
      }
    }
    return reaped;
  }
}

function bwrapArgs(spec: SandboxSpec): string[] {
  const args = [
    '--die-with-parent',
    '--unshare-all',
    '--unshare-user',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--uid',
    String(spec.uid),
    '--gid',
    String(spec.gid),
    '--ro-bind',
    spec.image.rootfs,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(spec.limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    // The image is read-only, so the mount points are made on fresh tmpfs' over /home and /run.
    '--size',
    String(spec.limits.homeBytes),
    '--tmpfs',
    path.posix.dirname(SANDBOX_HOME),
    '--dir',
    SANDBOX_HOME,
    '--tmpfs',
    path.posix.dirname(AGENT_MOUNT),
    '--ro-bind',
    spec.agentDir,
    AGENT_MOUNT,
  ];
  if (spec.egressDir !== undefined) args.push('--ro-bind', spec.egressDir, EGRESS_MOUNT);
  for (const folder of spec.folders) args.push('--bind', folder, folder);
  args.push('--chdir', spec.folders[0] ?? SANDBOX_HOME, '--clearenv');
  for (const [key, value] of Object.entries(spec.env)) args.push('--setenv', key, value);
  args.push('--', 'node', `${AGENT_MOUNT}/agent.mjs`);
  return args;
}

/** Waits until the process shows state T (stopped) in /proc. */
async function waitStopped(pid: number): Promise<void> {
  const deadline = Date.now() + STOP_WAIT_MS;
  for (;;) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    if (Date.now() > deadline) throw new Error('the sandbox launcher did not stop in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
