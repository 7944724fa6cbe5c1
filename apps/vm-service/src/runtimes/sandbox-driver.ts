import type { SandboxRuntimeName } from '@steward/contracts';
import type { AgentChannel } from '../agent/agent-channel.js';

/** Limits every sandbox runs under (THREATS: fork bomb, memory bomb, full /tmp). */
export interface SandboxLimits {
  readonly memoryBytes: number;
  readonly pids: number;
  /** CPUs' worth of time, e.g. 1.5. */
  readonly cpus: number;
  readonly tmpBytes: number;
  readonly homeBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = Object.freeze({
  memoryBytes: 1024 * 1024 * 1024,
  pids: 256,
  cpus: 1.5,
  tmpBytes: 512 * 1024 * 1024,
  homeBytes: 64 * 1024 * 1024,
});

/** The home folder inside every sandbox: a tmpfs, gone with the sandbox. */
export const SANDBOX_HOME = '/home/sandbox';
/** Where the agent script is mounted, read-only (under /run, which every image has). */
export const AGENT_MOUNT = '/run/steward-agent';
/** Where the egress proxy's socket folder is mounted, when policy lets the sandbox out at all. */
export const EGRESS_MOUNT = '/run/steward-egress';
export const EGRESS_SOCKET_NAME = 'proxy.sock';

export interface SandboxImage {
  readonly version: string;
  /** The root file system bubblewrap uses as-is. */
  readonly rootfs: string;
  /** The same root file system imported into Docker. */
  readonly dockerImage: string;
  /** Environment the image expects (PATH, NODE_PATH, MPLCONFIGDIR, …). */
  readonly env: Readonly<Record<string, string>>;
}

export interface SandboxSpec {
  readonly taskId: string;
  /** Real paths, mounted read-write at the same paths; nothing else of the host is visible. */
  readonly folders: readonly string[];
  readonly image: SandboxImage;
  /** Host folder holding agent.mjs. */
  readonly agentDir: string;
  /** The user commands run as, inside. */
  readonly uid: number;
  readonly gid: number;
  /**
   * bubblewrap only: the host user to start it as when Steward runs as root and the folders belong
   * to someone else, so what the sandbox creates belongs to them.
   */
  readonly hostUser?: { readonly uid: number; readonly gid: number };
  readonly limits: SandboxLimits;
  /** Host folder holding the egress proxy's socket, mounted at {@link EGRESS_MOUNT}; absent: no way out. */
  readonly egressDir?: string | undefined;
  /** The whole environment of the agent and its commands: never a secret. */
  readonly env: Readonly<Record<string, string>>;
}

export interface Sandbox {
  readonly runtime: SandboxRuntimeName;
  /** Container id, or the bubblewrap process id. */
  readonly id: string;
  readonly channel: AgentChannel;
  /** Why the sandbox stopped by itself, when it did (e.g. "it ran out of memory"). */
  stopReason(): Promise<string | undefined>;
  /** Processes the kernel killed for memory in this sandbox so far, when the runtime can tell. */
  memoryKills(): Promise<number | undefined>;
  destroy(): Promise<void>;
}

export interface SandboxDriver {
  readonly runtime: SandboxRuntimeName;
  start(spec: SandboxSpec): Promise<Sandbox>;
  /** Removes sandboxes a previous vm-service of this STEWARD_HOME left behind. */
  reapOrphans(): Promise<number>;
}
