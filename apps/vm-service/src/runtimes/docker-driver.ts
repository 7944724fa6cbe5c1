import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { StewardError } from '@steward/contracts';
import { AgentChannel } from '../agent/agent-channel.js';
import { oomKills } from './process-limits.js';
import {
  AGENT_MOUNT,
  EGRESS_MOUNT,
  SANDBOX_HOME,
  type Sandbox,
  type SandboxDriver,
  type SandboxSpec,
} from './sandbox-driver.js';

const LABEL_SANDBOX = 'steward.sandbox';
const LABEL_OWNER = 'steward.owner';
const LABEL_TASK = 'steward.task';
/** Bytes of the agent's own stderr kept for diagnosing a sandbox that died. */
const AGENT_STDERR_BYTES = 16 * 1024;

/**
 * Sandboxes as Docker containers, through the engine's local socket. Every container is created
 * with the same hardening (inspected by tests/integration/vm-hardening.test.ts): all capabilities
 * dropped, no new privileges, read-only root with tmpfs /tmp and home, pids/memory/CPU limits, a
 * non-root user, no network, never privileged, no host namespaces, nothing of the host mounted but
 * the task's folders and the agent script (read-only).
 */
export class DockerDriver implements SandboxDriver {
  readonly runtime = 'docker' as const;
  private readonly docker: Docker;

  /** @param owner identifies this STEWARD_HOME, so two stacks never reap each other's sandboxes. */
  constructor(
    socketPath: string,
    private readonly owner: string,
  ) {
    this.docker = new Docker({ socketPath });
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    const name = `steward-${this.owner.slice(0, 12)}-${spec.taskId.slice(0, 40)}-${randomBytes(3).toString('hex')}`;
    // CgroupnsMode is newer than the typings: a private cgroup namespace hides the host's cgroup tree.
    const hostConfig: Docker.HostConfig & { CgroupnsMode: 'private' } = {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      ReadonlyRootfs: true,
      Tmpfs: {
        '/tmp': `rw,nosuid,nodev,size=${spec.limits.tmpBytes}`,
        [SANDBOX_HOME]: `rw,nosuid,nodev,size=${spec.limits.homeBytes},uid=${spec.uid},gid=${spec.gid}`,
      },
      Binds: [
        ...spec.folders.map((folder) => `${folder}:${folder}:rw`),
        `${spec.agentDir}:${AGENT_MOUNT}:ro`,
        ...(spec.egressDir === undefined ? [] : [`${spec.egressDir}:${EGRESS_MOUNT}:ro`]),
      ],
      Memory: spec.limits.memoryBytes,
      MemorySwap: spec.limits.memoryBytes,
      PidsLimit: spec.limits.pids,
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
      IpcMode: 'private',
      CgroupnsMode: 'private',
      PidMode: '',
      UsernsMode: '',
      Init: true,
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
    };
    const container = await this.docker.createContainer({
      name,
      Image: spec.image.dockerImage,
      Cmd: ['node', `${AGENT_MOUNT}/agent.mjs`],
      User: `${spec.uid}:${spec.gid}`,
      WorkingDir: spec.folders[0] ?? SANDBOX_HOME,
      Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: false,
      Tty: false,
      NetworkDisabled: true,
      Labels: { [LABEL_SANDBOX]: '1', [LABEL_OWNER]: this.owner, [LABEL_TASK]: spec.taskId },
      HostConfig: hostConfig,
    });
    try {
      const stream = await container.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      container.modem.demuxStream(stream, stdout, stderr);
      stream.once('end', () => {
        stdout.end();
        stderr.end();
      });
      let agentStderr = '';
      stderr.on('data', (chunk: Buffer) => {
        if (agentStderr.length < AGENT_STDERR_BYTES) agentStderr += chunk.toString('utf8');
      });
      const channel = new AgentChannel(
        stream as unknown as NodeJS.WritableStream & PassThrough,
        stdout,
        `sandbox of task ${spec.taskId}`,
      );
      await container.start();
      return {
        runtime: 'docker',
        id: container.id,
        channel,
        stopReason: async () => {
          const info = await container.inspect().catch(() => undefined);
          if (info === undefined) return 'the sandbox container is gone';
          if (info.State.OOMKilled) {
            return `the sandbox ran out of memory (limit ${Math.round(spec.limits.memoryBytes / 1024 / 1024)} MiB)`;
          }
          if (info.State.Running) return undefined;
          return `the sandbox stopped (exit code ${info.State.ExitCode})${agentStderr ? `: ${agentStderr.slice(0, 500)}` : ''}`;
        },
        memoryKills: () => dockerMemoryKills(container.id),
        destroy: async () => {
          channel.fail(new StewardError('CANCELLED', 'the sandbox was removed'));
          await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
            if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
          });
        },
      };
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
  }

  async reapOrphans(): Promise<number> {
    const found = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_SANDBOX}=1`, `${LABEL_OWNER}=${this.owner}`] },
    });
    await Promise.all(
      found.map((info) =>
        this.docker
          .getContainer(info.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    return found.length;
  }

  /** The engine's view of a container, for the hardening test and diagnostics. */
  inspect(id: string): Promise<Docker.ContainerInspectInfo> {
    return this.docker.getContainer(id).inspect();
  }

  async hasImage(tag: string): Promise<boolean> {
    return this.docker
      .getImage(tag)
      .inspect()
      .then(() => true)
      .catch(() => false);
  }
}

/** The container's cgroup OOM counter, wherever this engine puts it (cgroup v1 or v2, cgroupfs or systemd). */
async function dockerMemoryKills(id: string): Promise<number | undefined> {
  for (const file of [
    `/sys/fs/cgroup/memory/docker/${id}/memory.oom_control`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.events`,
    `/sys/fs/cgroup/docker/${id}/memory.events`,
  ]) {
    const kills = await oomKills(file);
    if (kills !== undefined) return kills;
  }
  return undefined;
}
