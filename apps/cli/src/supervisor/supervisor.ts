import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Backoff } from './backoff.js';
import type { SupervisorLog } from './supervisor-log.js';
import { removePidFile, writePidFile } from '../process/pid-files.js';
import { acceptsConnections, deadline, waitFor } from '../process/ports.js';

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly pidFile: string;
  /** The next group starts only once this loopback port accepts connections. */
  readonly readyPort?: number;
}

export interface SupervisorOptions {
  /** Started group by group, stopped in reverse order. */
  readonly groups: ReadonlyArray<readonly ChildSpec[]>;
  readonly log: SupervisorLog;
  readonly backoff?: () => Backoff;
  /** A child that stayed up this long starts its backoff from the beginning after a crash. */
  readonly stableAfterMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  readonly stopGraceMs?: number;
  /** How long a group waits for its ready port before starting the next group anyway. */
  readonly readyTimeoutMs?: number;
}

export const STABLE_AFTER_MS = 60_000;
export const STOP_GRACE_MS = 8_000;
const READY_TIMEOUT_MS = 30_000;

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

/** One supervised program: its current process, if any, and its restart schedule. */
class ManagedChild {
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    readonly spec: ChildSpec,
    private readonly log: SupervisorLog,
    private readonly backoff: Backoff,
    private readonly stableAfterMs: number,
  ) {}

  get pid(): number | undefined {
    return this.process?.pid;
  }

  start(): void {
    if (this.stopping) return;
    this.restartTimer = undefined;
    const { spec } = this;
    let child: ChildProcess;
    const logFd = openSync(spec.logFile, 'a', 0o600);
    try {
      // Its own process group: Ctrl-C reaches only the supervisor, which then stops children in order.
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', logFd, logFd],
        detached: true,
      });
    } finally {
      // The child holds its own copy of the descriptor from here on.
      closeSync(logFd);
    }
    const startedAt = Date.now();
    let resolveExited: () => void = () => undefined;
    this.exited = new Promise((resolve) => (resolveExited = resolve));
    this.process = child;
    let ended = false;
    const end = (exit: ChildExit): void => {
      if (ended) return;
      ended = true;
      if (child.pid !== undefined) removePidFile(spec.pidFile, child.pid);
      if (this.process === child) this.process = undefined;
      resolveExited();
      this.afterExit(exit, Date.now() - startedAt);
    };
    child.once('exit', (code, signal) => end({ code, signal }));
    child.on('error', (error) => {
      // After a successful spawn, 'error' means only that a signal could not be sent.
      if (child.pid === undefined) end({ code: null, signal: null, error });
    });
    if (child.pid !== undefined) {
      writePidFile(spec.pidFile, child.pid);
      this.log.info(`started ${spec.name} (pid ${child.pid})`, { child: spec.name, pid: child.pid });
    }
  }

  private afterExit(exit: ChildExit, uptimeMs: number): void {
    const how = describeExit(exit);
    if (this.stopping) {
      this.log.info(`${this.spec.name} stopped (${how})`, { child: this.spec.name });
      return;
    }
    if (uptimeMs >= this.stableAfterMs) this.backoff.reset();
    const delay = this.backoff.next();
    this.log.warn(
      `${this.spec.name} exited unexpectedly (${how}) after ${formatMs(uptimeMs)}; restarting in ${formatMs(delay)}`,
      {
        child: this.spec.name,
        code: exit.code,
        signal: exit.signal,
        uptimeMs,
        restartInMs: delay,
      },
    );
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  async waitReady(port: number, timeoutMs: number): Promise<boolean> {
    return waitFor(async () => this.stopping || (await acceptsConnections(port, 500)), timeoutMs, 100);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    const child = this.process;
    if (child?.pid === undefined) return;
    const pid = child.pid;
    child.kill('SIGTERM');
    const exited = this.exited.then(() => true);
    if (await Promise.race([exited, deadline(graceMs).then(() => false)])) return;
    this.log.warn(`${this.spec.name} did not stop within ${formatMs(graceMs)}; killing it`, {
      child: this.spec.name,
      pid,
    });
    // The whole group, so nothing it spawned outlives it.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await Promise.race([this.exited, deadline(5_000)]);
  }
}

function describeExit(exit: ChildExit): string {
  if (exit.error !== undefined) return `could not start: ${exit.error.message}`;
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

function formatMs(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/**
 * Keeps a set of programs running: starts them in order, restarts any that exits on its own
 * (with exponential backoff), and stops them all in reverse order.
 */
export class Supervisor {
  private readonly groups: ManagedChild[][];
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {
    const makeBackoff = options.backoff ?? (() => new Backoff());
    const stableAfterMs = options.stableAfterMs ?? STABLE_AFTER_MS;
    this.groups = options.groups.map((group) =>
      group.map((spec) => new ManagedChild(spec, options.log, makeBackoff(), stableAfterMs)),
    );
  }

  async start(): Promise<void> {
    for (const group of this.groups) {
      if (this.stopped !== undefined) return;
      for (const child of group) child.start();
      for (const child of group) {
        const port = child.spec.readyPort;
        if (port === undefined) continue;
        const ready = await child.waitReady(port, this.options.readyTimeoutMs ?? READY_TIMEOUT_MS);
        if (!ready)
          this.options.log.error(
            `${child.spec.name} is not accepting connections on port ${port}; starting the rest anyway`,
          );
      }
    }
  }

  pidOf(name: string): number | undefined {
    return this.groups.flat().find((child) => child.spec.name === name)?.pid;
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const grace = this.options.stopGraceMs ?? STOP_GRACE_MS;
      for (const group of [...this.groups].reverse()) {
        await Promise.all(group.map((child) => child.stop(grace)));
      }
    })();
    return this.stopped;
  }
}
