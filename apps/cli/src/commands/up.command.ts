import { SERVICE_NAMES } from '@steward/contracts';
import { loadRuntimeConfig, type RuntimeConfig } from '@steward/config';
import { CliError, EXIT, type ExitCode } from '../cli/cli-error.js';
import { assertServicesBuilt } from '../cli/repo-root.js';
import { ensureRequirements } from '../doctor/auto-install.js';
import { systemProbes } from '../doctor/probes.js';
import { servicesNotOk } from '../health/health-client.js';
import { waitHealthy, type WaitHealthyResult } from '../health/wait-healthy.js';
import { prepareHome } from '../home/prepare-home.js';
import { ensureUiToken, readUiToken, uiAddress, writeBusSecrets } from '../home/secrets.js';
import { isAlive } from '../process/pid-files.js';
import { acceptsConnections, isPortFree } from '../process/ports.js';
import { ensureSandboxImage } from '../sandbox/ensure-sandbox.js';
import { sandboxBuildMode } from '../sandbox/sandbox.config.js';
import { readStackState } from '../stack/stack-state.js';
import { stopStack } from '../stack/stop-stack.js';
import { spawnDetachedSupervisor } from '../supervisor/detach.js';
import { createStackSupervisor, stopOnSignals } from '../supervisor/run-supervisor.js';
import { logFileOf, NATS_SERVER, SUPERVISOR } from '../supervisor/stack-children.js';
import { consoleLog } from '../supervisor/supervisor-log.js';
import { tailFile } from './log-tail.js';
import { print, say } from './output.js';

function refuseIfRunning(config: RuntimeConfig): void {
  const state = readStackState(config);
  const { home } = config.paths;
  if (state.supervisor.alive) {
    const token = readUiToken(config.paths);
    throw new CliError(
      `Steward is already running for ${home} (supervisor pid ${state.supervisor.pid}): ${uiAddress(config.uiPort, token)}\n` +
        'Stop it with "steward down", or use another STEWARD_HOME and ports for a second stack.',
    );
  }
  const alive = state.all.filter((p) => p.alive);
  if (alive.length > 0) {
    throw new CliError(
      `processes of an earlier Steward are still running for ${home} without their supervisor: ` +
        `${alive.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}. Run "steward down" first.`,
    );
  }
}

async function refuseIfPortsTaken(config: RuntimeConfig): Promise<void> {
  const wanted: Array<{ port: number; what: string; fix: string }> = [
    { port: config.uiPort, what: 'the UI', fix: 'set STEWARD_PORT to a free port' },
    { port: config.natsPort, what: 'the bus (nats-server)', fix: 'set STEWARD_NATS_PORT to a free port' },
  ];
  for (const [service, port] of Object.entries(config.metricsPorts)) {
    if (port !== null) {
      wanted.push({
        port,
        what: `${service} metrics`,
        fix: 'set STEWARD_METRICS_PORT_BASE to a free range, or to 0 to switch metrics endpoints off',
      });
    }
  }
  const taken: string[] = [];
  for (const { port, what, fix } of wanted) {
    if (!(await isPortFree(port)))
      taken.push(`port ${port} (${what}) is already in use by another program; ${fix}`);
  }
  if (taken.length > 0) throw new CliError(`Steward cannot start:\n  ${taken.join('\n  ')}`);
}

/** Which services were not ok, and the end of their logs: what a person needs to see why. */
async function reportNotHealthy(
  config: RuntimeConfig,
  result: Extract<WaitHealthyResult, { ok: false }>,
): Promise<void> {
  say(`Steward did not become healthy: ${result.reason}.`);
  const names: string[] = [];
  if (!(await acceptsConnections(config.natsPort))) names.push(NATS_SERVER);
  names.push(...(result.last === undefined ? SERVICE_NAMES : servicesNotOk(result.last)));
  for (const name of names) {
    const status =
      result.last?.services[name]?.status ??
      (name === NATS_SERVER ? 'not accepting connections' : 'no answer');
    say(`\n${name}: ${status}; last lines of ${logFileOf(config, name)}:`);
    const tail = tailFile(logFileOf(config, name), 15);
    say(tail.length === 0 ? '  (empty)' : tail.map((line) => `  ${line}`).join('\n'));
  }
}

/** Running, but not fully: say which services and where to look. */
function reportDegraded(degraded: readonly string[]): void {
  if (degraded.length === 0) return;
  say(
    `Running with ${degraded.join(', ')} degraded (for example, no sandbox runtime: commands are refused). ` +
      'Run "steward status" to see why.',
  );
}

async function upDetached(config: RuntimeConfig, token: string): Promise<ExitCode> {
  const pid = spawnDetachedSupervisor(config);
  say(`Starting Steward in the background (supervisor pid ${pid}, home ${config.paths.home})…`);
  const result = await waitHealthy({
    port: config.uiPort,
    giveUp: () => (isAlive(pid) ? undefined : 'the supervisor exited'),
  });
  if (result.ok) {
    print(`Steward is running: ${uiAddress(config.uiPort, token)}`);
    reportDegraded(result.degraded);
    return EXIT.ok;
  }
  await reportNotHealthy(config, result);
  const supervisorLog = tailFile(logFileOf(config, SUPERVISOR), 10);
  if (supervisorLog.length > 0)
    say(
      `\nlast lines of ${logFileOf(config, SUPERVISOR)}:\n${supervisorLog.map((l) => `  ${l}`).join('\n')}`,
    );
  say('\nStopping everything that was started.');
  await stopStack(config);
  return EXIT.failure;
}

async function upForeground(config: RuntimeConfig, token: string): Promise<ExitCode> {
  const log = consoleLog();
  const stack = createStackSupervisor(config, log);
  stopOnSignals(stack, log);
  await stack.start();
  const result = await waitHealthy({
    port: config.uiPort,
    giveUp: () => (stack.stopRequested() ? 'stopped before it was ready' : undefined),
  });
  if (!result.ok && stack.stopRequested()) {
    await stack.stopped;
    say('Steward stopped.');
    return EXIT.ok;
  }
  if (!result.ok) {
    await reportNotHealthy(config, result);
    say('\nStopping everything that was started.');
    await stack.stop();
    return EXIT.failure;
  }
  print(`Steward is running: ${uiAddress(config.uiPort, token)}`);
  reportDegraded(result.degraded);
  say('Press Ctrl-C to stop.');
  await stack.stopped;
  say('Steward stopped.');
  return EXIT.ok;
}

export async function upCommand(options: { readonly detach: boolean }): Promise<ExitCode> {
  const config = loadRuntimeConfig();
  await ensureRequirements(systemProbes, config.dockerSocket, say);
  assertServicesBuilt(SERVICE_NAMES);
  refuseIfRunning(config);
  await refuseIfPortsTaken(config);
  await ensureSandboxImage(config, say, { mode: sandboxBuildMode(), installTools: true });
  prepareHome(config.paths);
  writeBusSecrets(config);
  const token = ensureUiToken(config.paths);
  return options.detach ? upDetached(config, token) : upForeground(config, token);
}
