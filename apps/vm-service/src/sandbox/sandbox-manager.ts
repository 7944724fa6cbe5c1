import { createHash } from 'node:crypto';
import { lstatSync, realpathSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { StewardError, type SandboxRuntimeName } from '@steward/contracts';
import {
  folderAllowedByPolicy,
  isPathWithin,
  PolicyStore,
  policyValue,
  type RuntimeConfig,
} from '@steward/config';
import { RUNTIME_CONFIG } from '@steward/runtime';
import type { ExitFrame } from '../agent/agent-protocol.js';
import { BwrapDriver } from '../runtimes/bwrap-driver.js';
import { DockerDriver } from '../runtimes/docker-driver.js';
import {
  DEFAULT_LIMITS,
  SANDBOX_HOME,
  type Sandbox,
  type SandboxDriver,
  type SandboxImage,
} from '../runtimes/sandbox-driver.js';
import { SandboxEgress } from '../egress/sandbox-egress.js';
import { RuntimeProbeService } from './runtime-probe.service.js';
import { installAgent } from './agent-install.js';
import { locateSandboxImage } from './sandbox-image.js';

/** Bytes of each stream kept from the start and from the end of a command. */
export const OUTPUT_HEAD_BYTES = 24 * 1024;
export const OUTPUT_TAIL_BYTES = 24 * 1024;
/** Live output streamed as events per command. */
export const LIVE_OUTPUT_BYTES = 256 * 1024;
/** How long after a task's sandbox is up the spare for its folders starts. */
const SPARE_REFILL_DELAY_MS = 1_000;
/** How long a spare sandbox waits for a task in its folders before it is removed. */
const SPARE_IDLE_MS = 10 * 60_000;
/** The user commands run as in a bubblewrap sandbox started by root: not root inside. */
const BWRAP_UID_UNDER_ROOT = 1000;

interface TaskSandbox {
  readonly taskId: string;
  readonly folders: readonly string[];
  /** The running (or starting) sandbox; replaced when it dies. */
  current: Promise<Sandbox> | undefined;
  /** Whether `current` has started. */
  ready: boolean;
}

export interface RunRequest {
  readonly taskId: string;
  readonly execId: string;
  readonly command: string;
  readonly cwd?: string | undefined;
  readonly timeoutMs?: number | undefined;
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
}

export interface RunOutcome {
  readonly exit: ExitFrame | undefined;
  readonly timeoutMs: number;
  readonly notes: readonly string[];
  readonly cancelled: boolean;
}

/**
 * One sandbox per task: prepared when the task opens, reused by its commands, replaced when it dies
 * (a memory bomb takes it down), removed when the task ends; left-overs of an earlier run of
 * vm-service are removed at start. Nothing runs when no sandbox runtime works.
 */
@Injectable()
export class SandboxManager implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('sandbox');
  private readonly tasks = new Map<string, TaskSandbox>();
  private readonly owner: string;
  private readonly drivers: { docker: DockerDriver; bubblewrap: BwrapDriver };
  private readonly cancelled = new Set<string>();
  private agentFolder: Promise<string> | undefined;
  private spare:
    { key: string; network: SandboxNetwork; task: TaskSandbox; timer: NodeJS.Timeout } | undefined;
  private closing = false;
  /** What a command sees: the sandbox's own environment, without the agent's marker. */
  private readonly commandEnv = new WeakMap<Sandbox, Record<string, string>>();

  constructor(
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
    @Inject(PolicyStore) private readonly policy: PolicyStore,
    @Inject(RuntimeProbeService) private readonly probe: RuntimeProbeService,
  ) {
    this.owner = createHash('sha256').update(config.paths.home).digest('hex').slice(0, 16);
    this.drivers = {
      docker: new DockerDriver(config.dockerSocket, this.owner),
      bubblewrap: new BwrapDriver(this.owner),
    };
  }

  async onModuleInit(): Promise<void> {
    this.agentFolder = installAgent(this.config.sandboxCacheDir);
    this.agentFolder.catch((error: unknown) =>
      this.log.error(`the sandbox agent could not be installed: ${String(error)}`),
    );
    this.policy.onChange((policy) => {
      const network = policyValue(policy, 'sandbox.network');
      if (this.spare !== undefined && this.spare.network !== network) void this.dropSpare();
      if (network === 'proxy' && this.tasks.size > 0) {
        this.log.log('sandbox egress is now allowed; running sandboxes get it when they next start');
      }
    });
    const runtime = await this.probe.current();
    const reaped =
      (runtime === 'docker' ? await this.drivers.docker.reapOrphans().catch(() => 0) : 0) +
      (await this.drivers.bubblewrap.reapOrphans().catch(() => 0));
    if (reaped > 0) this.log.warn(`removed ${reaped} sandbox(es) left behind by an earlier run`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([...[...this.tasks.keys()].map((taskId) => this.close(taskId)), this.dropSpare()]);
  }

  /** Checks the folders and starts the task's sandbox in the background. */
  async open(
    taskId: string,
    folders: readonly string[],
  ): Promise<{ runtime: SandboxRuntimeName; ready: boolean }> {
    const checked = folders.map((folder) => this.checkFolder(folder));
    const runtime = await this.runtime();
    const existing = this.tasks.get(taskId);
    if (existing !== undefined && sameFolders(existing.folders, checked)) {
      return { runtime, ready: existing.ready };
    }
    if (existing !== undefined) await this.close(taskId);
    const task: TaskSandbox = { taskId, folders: checked, current: undefined, ready: false };
    this.tasks.set(taskId, task);
    const key = checked.join('\0');
    const spare = this.takeSpare(key);
    const current = spare ?? this.startFor(task);
    task.current = current;
    current.then(
      () => {
        if (task.current === current) task.ready = true;
        // The next task in these folders finds a sandbox already running. Started a moment later,
        // so starting it never competes with this task's first command.
        setTimeout(() => this.keepSpare(checked, key), SPARE_REFILL_DELAY_MS).unref();
      },
      (error: unknown) => {
        this.log.warn(`sandbox of task ${taskId} did not start: ${String(error)}`);
        if (task.current === current) task.current = undefined;
      },
    );
    return { runtime, ready: spare !== undefined && (await isReady(current)) };
  }

  /** The spare for these folders, if one is started: it becomes the task's. */
  private takeSpare(key: string): Promise<Sandbox> | undefined {
    const spare = this.spare;
    if (spare === undefined || spare.key !== key || spare.task.current === undefined) return undefined;
    // Started under another network policy: its way out (or lack of one) is fixed at start.
    if (spare.network !== this.network()) return undefined;
    clearTimeout(spare.timer);
    this.spare = undefined;
    return spare.task.current;
  }

  /**
   * Keeps one sandbox started for the folders the last task opened, so the next task in them (a
   * schedule's next run, the person's next request) runs its first command without waiting for a
   * start. Mounts are fixed when a sandbox starts, so a spare only serves the same folders.
   */
  private keepSpare(folders: readonly string[], key: string): void {
    const network = this.network();
    if ((this.spare?.key === key && this.spare.network === network) || this.closing) return;
    void this.dropSpare();
    const task: TaskSandbox = { taskId: 'spare', folders, current: undefined, ready: false };
    task.current = this.startFor(task);
    task.current.catch(() => {
      if (this.spare?.task === task) this.spare = undefined;
    });
    const timer = setTimeout(() => void this.dropSpare(), SPARE_IDLE_MS);
    timer.unref();
    this.spare = { key, network, task, timer };
  }

  private async dropSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    if (spare === undefined) return;
    clearTimeout(spare.timer);
    const sandbox = await spare.task.current?.catch(() => undefined);
    await sandbox?.destroy().catch(() => undefined);
  }

  async close(taskId: string): Promise<boolean> {
    const task = this.tasks.get(taskId);
    if (task === undefined) return false;
    this.tasks.delete(taskId);
    const sandbox = await task.current?.catch(() => undefined);
    await sandbox?.destroy().catch((error: unknown) => this.log.warn(`removing a sandbox: ${String(error)}`));
    return true;
  }

  /** Kills running commands of a task (one, or all); answers how many were running. */
  async cancel(taskId: string, execId?: string): Promise<number> {
    const task = this.tasks.get(taskId);
    const sandbox = task?.current === undefined ? undefined : await task.current.catch(() => undefined);
    if (sandbox === undefined) return 0;
    const running = sandbox.channel.runningIds();
    const ids = execId === undefined ? running : running.filter((id) => id === execId);
    for (const id of ids) {
      this.cancelled.add(id);
      sandbox.channel.kill(id);
    }
    return ids.length;
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const task = this.tasks.get(request.taskId);
    if (task === undefined) {
      throw new StewardError(
        'NOT_FOUND',
        `task ${request.taskId} has no sandbox; it was never opened or has ended`,
      );
    }
    const cwd = request.cwd ?? task.folders[0] ?? SANDBOX_HOME;
    if (!task.folders.some((folder) => isPathWithin(folder, path.posix.normalize(cwd)))) {
      throw new StewardError('OUTSIDE_ROOT', `${cwd} is not inside a folder connected to this task`);
    }
    const notes: string[] = [];
    const timeoutMs = this.timeoutFor(request.timeoutMs, notes);
    const sandbox = await this.sandboxOf(task);
    const killsBefore = await sandbox.memoryKills().catch(() => undefined);
    try {
      const exit = await sandbox.channel.run(
        {
          id: request.execId,
          cmd: request.command,
          cwd,
          env: this.commandEnv.get(sandbox) ?? {},
          timeoutMs,
          headBytes: OUTPUT_HEAD_BYTES,
          tailBytes: OUTPUT_TAIL_BYTES,
          liveBytes: LIVE_OUTPUT_BYTES,
        },
        { onOutput: request.onOutput },
      );
      const killsAfter = await sandbox.memoryKills().catch(() => undefined);
      if (killsBefore !== undefined && killsAfter !== undefined && killsAfter > killsBefore) {
        notes.push(
          `a process ran out of memory and was killed (the sandbox's limit is ${Math.round(DEFAULT_LIMITS.memoryBytes / 1024 / 1024)} MiB)`,
        );
      }
      return {
        exit,
        timeoutMs,
        notes: [...notes, ...exit.notes],
        cancelled: this.cancelled.delete(request.execId),
      };
    } catch (error) {
      const cancelled = this.cancelled.delete(request.execId);
      if (error instanceof StewardError && error.code === 'INVALID_INPUT') throw error;
      // The sandbox went down under the command: say why, and start the next command afresh.
      const reason =
        (await sandbox.stopReason().catch(() => undefined)) ??
        (error instanceof Error ? error.message : String(error));
      await this.replace(task, sandbox);
      return {
        exit: undefined,
        timeoutMs,
        notes: [...notes, reason, 'a fresh sandbox will run the next command'],
        cancelled,
      };
    }
  }

  private async sandboxOf(task: TaskSandbox): Promise<Sandbox> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      task.current ??= this.startFor(task);
      const sandbox = await task.current.catch((error: unknown) => {
        task.current = undefined;
        throw error;
      });
      if (!sandbox.channel.closed) return sandbox;
      await this.replace(task, sandbox);
    }
    throw new StewardError('UNAVAILABLE', `the sandbox of task ${task.taskId} keeps stopping`);
  }

  private async replace(task: TaskSandbox, dead: Sandbox): Promise<void> {
    const current = await task.current?.catch(() => undefined);
    if (current === dead) {
      task.current = undefined;
      task.ready = false;
    }
    await dead.destroy().catch(() => undefined);
  }

  private async startFor(task: TaskSandbox): Promise<Sandbox> {
    const runtime = await this.runtime();
    const image = await locateSandboxImage(this.config.sandboxCacheDir);
    const driver: SandboxDriver = this.drivers[runtime];
    if (runtime === 'docker' && !(await this.drivers.docker.hasImage(image.dockerImage))) {
      throw new StewardError(
        'UNAVAILABLE',
        `the Docker image ${image.dockerImage} is missing; run "steward sandbox build" to import it`,
        { retryable: false },
      );
    }
    const user = await this.userFor(runtime, task.folders);
    const agentDir = await (this.agentFolder ??= installAgent(this.config.sandboxCacheDir));
    const egress = await this.openEgress(task, user.hostUser);
    const env = this.sandboxEnv(image, egress);
    let sandbox: Sandbox;
    try {
      const started = await driver.start({
        taskId: task.taskId,
        folders: task.folders,
        image,
        agentDir,
        ...user,
        limits: DEFAULT_LIMITS,
        egressDir: egress?.socketDir,
        env: { ...env.agent, ...env.commands },
      });
      sandbox =
        egress === undefined
          ? started
          : {
              ...started,
              destroy: async () => {
                await started.destroy();
                await egress.close();
              },
            };
    } catch (error) {
      await egress?.close();
      throw error;
    }
    const commandEnv = env.commands;
    this.commandEnv.set(sandbox, commandEnv);
    try {
      await withTimeout(sandbox.channel.ready, 30_000, 'the sandbox did not become ready within 30 s');
    } catch (error) {
      const reason = await sandbox.stopReason().catch(() => undefined);
      await sandbox.destroy().catch(() => undefined);
      throw new StewardError('UNAVAILABLE', reason ?? String(error));
    }
    // One command through the fresh agent, so the first real one finds its code paths warm.
    await sandbox.channel
      .run(
        {
          id: 'warm-up',
          cmd: 'true',
          cwd: task.folders[0] ?? SANDBOX_HOME,
          env: commandEnv,
          timeoutMs: 10_000,
          headBytes: 0,
          tailBytes: 0,
          liveBytes: 0,
        },
        { onOutput: () => undefined },
      )
      .catch(() => undefined);
    sandbox.channel.onClosed(() => {
      if (this.tasks.get(task.taskId) === task) void this.replace(task, sandbox);
    });
    task.ready = true;
    this.log.log(`sandbox for task ${task.taskId} running (${runtime} ${sandbox.id.slice(0, 12)})`);
    return sandbox;
  }

  private async runtime(): Promise<SandboxRuntimeName> {
    const runtime = await this.probe.current();
    if (runtime === 'none') {
      throw new StewardError(
        'UNAVAILABLE',
        'no sandbox runtime is available, so commands are not run: install docker.io and start dockerd, or install bubblewrap',
        { retryable: false },
      );
    }
    return runtime;
  }

  /**
   * Commands run as the person running Steward, so what they create belongs to them — never as
   * root. Under root, the sandbox takes the owner of the task's first folder (bubblewrap is started
   * as that user); for a folder root owns, bubblewrap maps an unprivileged user inside onto root
   * outside, and Docker, which cannot, refuses.
   */
  private async userFor(
    runtime: SandboxRuntimeName,
    folders: readonly string[],
  ): Promise<{ uid: number; gid: number; hostUser?: { uid: number; gid: number } }> {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    if (uid !== 0) return { uid, gid };
    const owner = await lstat(folders[0] ?? '/');
    if (owner.uid !== 0) {
      const user = { uid: owner.uid, gid: owner.gid };
      return runtime === 'bubblewrap' ? { ...user, hostUser: user } : user;
    }
    if (runtime === 'bubblewrap') return { uid: BWRAP_UID_UNDER_ROOT, gid: BWRAP_UID_UNDER_ROOT };
    throw new StewardError(
      'DENIED_BY_POLICY',
      `Steward runs as root and ${folders[0]} belongs to root; sandboxed commands never run as root. ` +
        'Run Steward as the person whose files these are, or connect a folder they own.',
    );
  }

  private network(): SandboxNetwork {
    return policyValue(this.policy.current, 'sandbox.network');
  }

  /**
   * The egress proxy of a sandbox starting now, when policy lets sandboxes out through it at all.
   * The host list is read on every connection, so a policy change applies at once; turning the
   * network off refuses everything even to sandboxes that started with a proxy.
   */
  private async openEgress(
    task: TaskSandbox,
    hostUser: { uid: number; gid: number } | undefined,
  ): Promise<SandboxEgress | undefined> {
    if (this.network() !== 'proxy') return undefined;
    return SandboxEgress.open({
      runDir: this.config.paths.runDir,
      hostUser,
      allowedHosts: () =>
        this.network() === 'proxy' ? policyValue(this.policy.current, 'sandbox.egressHosts') : [],
      onDecision: (decision) => {
        const verdict = decision.allowed ? 'allowed' : 'refused';
        const owner = task.taskId === 'spare' ? 'a sandbox' : `task ${task.taskId}`;
        this.log.log(
          `egress ${verdict} for ${owner}: ${decision.host}:${decision.port} (${decision.reason})`,
        );
      },
    });
  }

  /**
   * The sandbox's environment: what its agent needs (the marker, the egress socket) and what every
   * command gets. Never a secret.
   */
  private sandboxEnv(
    image: SandboxImage,
    egress: SandboxEgress | undefined,
  ): { agent: Record<string, string>; commands: Record<string, string> } {
    const proxy = egress?.environment();
    return {
      agent: { STEWARD_SANDBOX_AGENT: '1', ...proxy?.agent },
      commands: { ...this.commandBaseEnv(image), ...proxy?.commands },
    };
  }

  private commandBaseEnv(image: SandboxImage): Record<string, string> {
    return {
      ...image.env,
      HOME: SANDBOX_HOME,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TERM: 'dumb',
      TMPDIR: '/tmp',
      MPLCONFIGDIR: '/tmp/matplotlib',
      PYTHONDONTWRITEBYTECODE: '1',
    };
  }

  private timeoutFor(requested: number | undefined, notes: string[]): number {
    const policy = this.policy.current;
    const fallback = policyValue(policy, 'sandbox.commandTimeoutMs');
    const max = policyValue(policy, 'sandbox.maxCommandTimeoutMs');
    const wanted = requested ?? fallback;
    if (wanted > max) {
      notes.push(`the timeout was lowered to ${max} ms, the most your policy allows`);
      return max;
    }
    return wanted;
  }

  /**
   * A folder a sandbox may mount. Synchronous: two system calls of microseconds each, which through
   * the thread pool would cost a task's first command more than they do.
   */
  private checkFolder(folder: string): string {
    let real: string;
    try {
      real = realpathSync.native(folder);
    } catch {
      throw new StewardError('NOT_FOUND', `${folder} does not exist`);
    }
    if (real !== folder)
      throw new StewardError('INVALID_INPUT', `${folder} is not a real path (it resolves to ${real})`);
    if (!lstatSync(real).isDirectory()) throw new StewardError('INVALID_INPUT', `${folder} is not a folder`);
    if (isPathWithin(this.config.paths.home, real) || isPathWithin(real, this.config.paths.home)) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${folder} holds Steward's own home; it is never mounted in a sandbox`,
      );
    }
    if (!folderAllowedByPolicy(this.policy.current, real)) {
      throw new StewardError('DENIED_BY_POLICY', `your organization does not allow connecting ${folder}`);
    }
    return real;
  }
}

type SandboxNetwork = 'none' | 'proxy';

function sameFolders(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((folder, index) => folder === b[index]);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Whether a promise has already settled successfully, without waiting for it. */
async function isReady(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => undefined,
  );
  // Two turns of the microtask queue let an already-settled promise run its callback.
  await Promise.resolve();
  await Promise.resolve();
  return settled;
}
