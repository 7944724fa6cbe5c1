// The processes the loop benchmark runs a task through, each from its build as the supervisor runs
// it (support/service-process.ts): fs-service, and the orchestrator pointed at the local model
// server. vm-service is not started: the orchestrator opens a sandbox at a task's start without
// waiting for it and only logs that none came, and read_file never needs one.
import type { BusCredentials } from '@steward/messaging';
import type { StartedServer } from './fs-read-servers.js';
import { killNow, startServiceProcess, tailOf } from './service-process.js';

const START_DEADLINE_MS = 60_000;
const PROFILER = new URL('./orchestrator-profiler.js', import.meta.url).href;

export interface OrchestratorSettings {
  readonly modelUrl: string;
  readonly apiKey: string;
  readonly model: string;
  /** More than the longest task's turns: the default budget (200) is exactly one task of 200 reads. */
  readonly maxTurns: number;
  /** Loads the profiler (support/orchestrator-profiler.ts), which writes its profiles here. */
  readonly cpuProfileDir?: string | undefined;
  /** Where the orchestrator exports its spans (OTLP/HTTP), as telemetry.otlpEndpoint. */
  readonly otlpEndpoint?: string | undefined;
}

export async function startFsServiceForTasks(credentials: BusCredentials): Promise<StartedServer> {
  const started = await startServiceProcess({
    service: 'fs-service',
    credentials,
    homePrefix: 'steward-bench-orchestrator-fs-',
    startDeadlineMs: START_DEADLINE_MS,
  });
  return {
    pid: started.pid,
    startMs: started.startMs,
    stop: started.stop,
    killNow: () => killNow(started.child),
  };
}

export interface StartedOrchestrator extends StartedServer {
  /** The end of what it logged since it was ready, for the error when a task breaks. */
  log(): string;
}

export async function startOrchestrator(
  credentials: BusCredentials,
  settings: OrchestratorSettings,
): Promise<StartedOrchestrator> {
  const started = await startServiceProcess({
    service: 'orchestrator',
    credentials,
    env: {
      ANTHROPIC_BASE_URL: settings.modelUrl,
      ANTHROPIC_API_KEY: settings.apiKey,
      STEWARD_MODEL: settings.model,
      STEWARD_MAX_TURNS: String(settings.maxTurns),
      ...(settings.otlpEndpoint === undefined ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: settings.otlpEndpoint }),
      ...(settings.cpuProfileDir === undefined
        ? {}
        : { NODE_OPTIONS: `--import=${PROFILER}`, BENCH_PROFILE_DIR: settings.cpuProfileDir }),
    },
    homePrefix: 'steward-bench-orchestrator-',
    startDeadlineMs: START_DEADLINE_MS,
    // Stopping suspends its running tasks first.
    stopGraceMs: 15_000,
  });
  return {
    pid: started.pid,
    startMs: started.startMs,
    stop: started.stop,
    killNow: () => killNow(started.child),
    log: tailOf(started.child),
  };
}
