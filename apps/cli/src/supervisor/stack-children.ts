import { join } from 'node:path';
import { SERVICE_NAMES } from '@steward/contracts';
import type { RuntimeConfig } from '@steward/config';
import { REPO_ROOT, serviceEntry } from '../cli/repo-root.js';
import type { ChildSpec } from './supervisor.js';

export const NATS_SERVER = 'nats-server';
export const SUPERVISOR = 'supervisor';

/**
 * The environment every process of the stack starts with. STEWARD_HOME and the ports are written
 * out resolved, so each child agrees with the CLI and `steward down` can recognise them by it.
 */
export function stackEnvironment(config: RuntimeConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STEWARD_HOME: config.paths.home,
    STEWARD_PORT: String(config.uiPort),
    STEWARD_NATS_PORT: String(config.natsPort),
  };
}

export function logFileOf(config: RuntimeConfig, name: string): string {
  return join(config.paths.logsDir, `${name}.log`);
}

/** Model API secrets: only the orchestrator, which talks to the model, starts with them. */
const MODEL_SECRETS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'STEWARD_OPENAI_API_KEY',
  'OPENAI_API_KEY',
];

function withoutModelSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = { ...env };
  for (const name of MODEL_SECRETS) delete kept[name];
  return kept;
}

/** nats-server first (the services need the bus), then the six services together. */
export function stackChildren(config: RuntimeConfig): ChildSpec[][] {
  const env = stackEnvironment(config);
  const nats: ChildSpec = {
    name: NATS_SERVER,
    command: 'nats-server',
    args: ['-c', config.paths.natsConfigFile],
    env: withoutModelSecrets(env),
    cwd: config.paths.home,
    logFile: logFileOf(config, NATS_SERVER),
    pidFile: config.paths.pidFile(NATS_SERVER),
    readyPort: config.natsPort,
  };
  const services = SERVICE_NAMES.map((service): ChildSpec => ({
    name: service,
    command: process.execPath,
    args: [serviceEntry(service)],
    env: { ...(service === 'orchestrator' ? env : withoutModelSecrets(env)), STEWARD_SERVICE: service },
    cwd: REPO_ROOT,
    logFile: logFileOf(config, service),
    pidFile: config.paths.pidFile(service),
  }));
  return [[nats], services];
}
