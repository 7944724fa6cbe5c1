import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { RUNTIME_CONFIG, HealthRegistry } from '@steward/runtime';
import type { RuntimeConfig } from '@steward/config';

export type SandboxRuntime = 'docker' | 'bubblewrap' | 'none';

/** How long a working runtime is trusted before a background re-check (bubblewrap's starts a process). */
const PROBE_TTL_MS = 60_000;
/** Without a runtime, how soon one that was just installed or started is noticed. */
const PROBE_TTL_NONE_MS = 5_000;
const PROBE_TIMEOUT_MS = 3_000;
const BWRAP_PROBE = [
  '--unshare-all',
  '--die-with-parent',
  '--cap-drop',
  'ALL',
  '--ro-bind',
  '/usr',
  '/usr',
  '--symlink',
  'usr/bin',
  '/bin',
  '--symlink',
  'usr/lib',
  '/lib',
  '--symlink',
  'usr/lib64',
  '/lib64',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
  '/usr/bin/true',
];

/**
 * Finds which sandbox runtime this machine can really use: a Docker engine that answers its
 * ping (preferred), else bubblewrap that can actually create namespaces, else none — in which
 * case commands are refused, never run on the host.
 */
@Injectable()
export class RuntimeProbeService implements OnModuleInit {
  private readonly log = new Logger('sandbox');
  private cached: { runtime: SandboxRuntime; at: number } | undefined;
  private probing: Promise<SandboxRuntime> | undefined;

  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const runtime = await this.current();
    this.log.log(`sandbox runtime: ${runtime}`);
    this.health.register('sandbox', async () => {
      const now = await this.current();
      return now === 'none'
        ? {
            status: 'degraded',
            detail:
              this.config.sandboxRuntime === 'auto'
                ? 'no sandbox runtime: install docker.io (and start dockerd) or bubblewrap'
                : `the sandbox runtime ${this.config.sandboxRuntime} (STEWARD_SANDBOX_RUNTIME) is not available`,
          }
        : { status: 'ok', detail: now };
    });
  }

  /**
   * The runtime in use. Once known, it is answered at once and checked again in the background when
   * older than PROBE_TTL_MS, so opening a task never waits for a probe (bubblewrap's starts a process).
   */
  async current(): Promise<SandboxRuntime> {
    const cached = this.cached;
    if (cached === undefined) return this.probe();
    const ttl = cached.runtime === 'none' ? PROBE_TTL_NONE_MS : PROBE_TTL_MS;
    if (Date.now() - cached.at >= ttl) {
      this.probing ??= this.probe().finally(() => {
        this.probing = undefined;
      });
      // A runtime that went away is noticed by the probe; the answer after it is the new one.
      if (cached.runtime === 'none') return this.probing;
    }
    return cached.runtime;
  }

  private async probe(): Promise<SandboxRuntime> {
    const wanted = this.config.sandboxRuntime;
    const runtime: SandboxRuntime =
      wanted !== 'bubblewrap' && (await this.dockerAnswers())
        ? 'docker'
        : wanted !== 'docker' && (await bubblewrapWorks())
          ? 'bubblewrap'
          : 'none';
    this.cached = { runtime, at: Date.now() };
    this.health.setSandboxRuntime(runtime);
    return runtime;
  }

  private dockerAnswers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(
        { socketPath: this.config.dockerSocket, path: '/_ping', method: 'GET', timeout: PROBE_TIMEOUT_MS },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
}

function bubblewrapWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('bwrap', BWRAP_PROBE, { timeout: PROBE_TIMEOUT_MS }, (error) => resolve(!error));
  });
}
