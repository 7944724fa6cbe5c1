import { StewardError, SERVICE_NAMES } from '@steward/contracts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuntimeConfig, resolveStewardPaths, serviceFromEnv } from './runtime.config.js';

function thrown(fn: () => unknown): StewardError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StewardError) return error;
    throw error;
  }
  throw new Error('expected a StewardError');
}

describe('resolveStewardPaths', () => {
  it('lays every path out under STEWARD_HOME', () => {
    const paths = resolveStewardPaths({ STEWARD_HOME: '/srv/steward-a' });
    expect(paths).toMatchObject({
      home: '/srv/steward-a',
      runDir: '/srv/steward-a/run',
      natsRunDir: '/srv/steward-a/run/nats',
      dataDir: '/srv/steward-a/data',
      trashDir: '/srv/steward-a/trash',
      logsDir: '/srv/steward-a/logs',
      pluginsDir: '/srv/steward-a/plugins',
      settingsFile: '/srv/steward-a/settings.json',
      uiTokenFile: '/srv/steward-a/run/ui-token',
      natsConfigFile: '/srv/steward-a/run/nats-server.conf',
      natsStoreDir: '/srv/steward-a/data/jetstream',
    });
    expect(paths.pidFile('nats-server')).toBe('/srv/steward-a/run/nats-server.pid');
    expect(paths.credentialsFile('fs-service')).toBe('/srv/steward-a/run/nats/fs-service.json');
    expect(paths.databaseFile('scheduler')).toBe('/srv/steward-a/data/scheduler.sqlite');
  });

  it('defaults to ~/.steward and makes a relative STEWARD_HOME absolute', () => {
    expect(resolveStewardPaths({}).home).toBe(join(homedir(), '.steward'));
    expect(resolveStewardPaths({ STEWARD_HOME: '' }).home).toBe(join(homedir(), '.steward'));
    expect(resolveStewardPaths({ STEWARD_HOME: 'rel/home' }).home).toBe(join(process.cwd(), 'rel/home'));
    expect(resolveStewardPaths({ STEWARD_HOME: '~/other' }).home).toBe(join(homedir(), 'other'));
  });

  it('refuses a pid file name that would leave run/', () => {
    const paths = resolveStewardPaths({ STEWARD_HOME: '/srv/s' });
    expect(thrown(() => paths.pidFile('../../etc/passwd')).code).toBe('INVALID_INPUT');
    expect(thrown(() => paths.pidFile('')).code).toBe('INVALID_INPUT');
  });
});

describe('loadRuntimeConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadRuntimeConfig({ STEWARD_HOME: '/srv/s' });
    expect(config).toMatchObject({
      uiPort: 7420,
      natsPort: 7422,
      otlpEndpoint: undefined,
      logLevel: 'info',
      managedSettingsDir: undefined,
      version: '0.1.0',
    });
    expect(config.metricsPorts).toEqual({
      orchestrator: 9464,
      'fs-service': 9465,
      'vm-service': 9466,
      'plugin-host': 9467,
      scheduler: 9468,
      ui: 9469,
    });
  });

  it('reads ports, log level, OTLP endpoint and the managed settings folder from the environment', () => {
    const config = loadRuntimeConfig({
      STEWARD_PORT: '18420',
      STEWARD_NATS_PORT: '18422',
      STEWARD_LOG_LEVEL: 'DEBUG',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      STEWARD_MANAGED_SETTINGS_DIR: '/tmp/managed',
    });
    expect(config).toMatchObject({
      uiPort: 18420,
      natsPort: 18422,
      logLevel: 'debug',
      otlpEndpoint: 'http://127.0.0.1:4318',
      managedSettingsDir: '/tmp/managed',
    });
  });

  it('shifts the metrics ports to base+0..base+5 in service order', () => {
    const { metricsPorts } = loadRuntimeConfig({ STEWARD_METRICS_PORT_BASE: '19000' });
    expect(SERVICE_NAMES.map((service) => metricsPorts[service])).toEqual([
      19000, 19001, 19002, 19003, 19004, 19005,
    ]);
  });

  it('switches every metrics endpoint off when the base is 0, so two stacks can run side by side', () => {
    const { metricsPorts } = loadRuntimeConfig({ STEWARD_METRICS_PORT_BASE: '0' });
    expect(Object.values(metricsPorts)).toEqual([null, null, null, null, null, null]);
  });

  it.each([
    ['STEWARD_PORT', '0'],
    ['STEWARD_PORT', '65536'],
    ['STEWARD_PORT', 'http'],
    ['STEWARD_NATS_PORT', '-1'],
    ['STEWARD_NATS_PORT', '42.5'],
    ['STEWARD_METRICS_PORT_BASE', '65531'],
    ['STEWARD_METRICS_PORT_BASE', 'x'],
    ['STEWARD_LOG_LEVEL', 'verbose'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
  ])('rejects %s=%s with INVALID_INPUT naming the variable', (variable, value) => {
    const error = thrown(() => loadRuntimeConfig({ [variable]: value }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(variable);
    expect(error.details).toMatchObject({ variable });
  });
});

describe('serviceFromEnv', () => {
  it('returns a valid STEWARD_SERVICE', () => {
    expect(serviceFromEnv({ STEWARD_SERVICE: 'plugin-host' })).toBe('plugin-host');
  });

  it.each([undefined, '', 'nats', 'Orchestrator'])('rejects STEWARD_SERVICE=%s', (value) => {
    const error = thrown(() => serviceFromEnv({ STEWARD_SERVICE: value }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('STEWARD_SERVICE');
  });
});
