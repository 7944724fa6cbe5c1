import 'reflect-metadata';
import {
  ConsoleLogger,
  Global,
  Logger,
  Module,
  type DynamicModule,
  type INestApplication,
  type INestMicroservice,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { eventSubject, type ServiceName } from '@steward/contracts';
import { loadRuntimeConfig, PolicyStore, readServiceCredentials, type RuntimeConfig } from '@steward/config';
import { BusClient, connectBus, StewardBusServer } from '@steward/messaging';
import { closeDatabase, openDatabase, recordServiceStart, type OpenDatabaseOptions } from '@steward/storage';
import type { DataSource } from 'typeorm';
import { healthControllerFor } from './health.controller.js';
import { HealthRegistry } from './health.registry.js';
import { DATABASE, RUNTIME_CONFIG, SERVICE_NAME } from './runtime.tokens.js';

export interface ServiceOptions {
  readonly service: ServiceName;
  /** The service's own feature modules. */
  readonly imports: ReadonlyArray<Type<unknown> | DynamicModule>;
  readonly entities?: OpenDatabaseOptions['entities'];
  readonly migrations?: OpenDatabaseOptions['migrations'];
  /** `ui` only: serve HTTP on loopback besides the bus. */
  readonly http?: (app: INestApplication, config: RuntimeConfig) => Promise<void>;
}

export interface RunningService {
  readonly config: RuntimeConfig;
  close(): Promise<void>;
}

const SHUTDOWN_DEADLINE_MS = 5_000;

/**
 * Starts one Steward process: config and policy, its own database, its own bus user, the
 * health handler, then the service's modules. Stops cleanly on SIGTERM/SIGINT; an error that
 * escapes everything ends the process with a non-zero code so the supervisor restarts it.
 */
export async function runService(options: ServiceOptions): Promise<RunningService> {
  const logger = new ConsoleLogger({ json: true, colors: false, prefix: options.service });
  Logger.overrideLogger(logger);
  const log = new Logger('runtime');

  const config = loadRuntimeConfig();
  const credentials = readServiceCredentials(config.paths, options.service);
  const policy = await PolicyStore.open({
    settingsFile: config.paths.settingsFile,
    watch: true,
  });
  for (const issue of policy.current.errors) log.error(`policy: ${issue.message}`);
  for (const issue of policy.current.warnings) log.warn(`policy: ${issue.message}`);

  const database = await openDatabase({
    file: config.paths.databaseFile(options.service),
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
  });
  const { starts } = await recordServiceStart(database, { pid: process.pid, version: config.version });

  const connection = await connectBus(options.service, credentials, 'client');
  const bus = new BusClient(connection, options.service);
  announcePolicyChanges(options.service, policy, bus, log);
  const health = new HealthRegistry({
    service: options.service,
    version: config.version,
    startedAt: new Date(),
    starts,
    policyVersion: () => policy.current.version,
  });
  registerRuntimeChecks(health, bus, database, policy);

  const root = rootModule(options, { config, policy, database, bus, health });
  const strategy = new StewardBusServer(options.service, credentials);
  let app: INestApplication | INestMicroservice;
  if (options.http) {
    // The HTTP service registers its own body parser, in the order its middleware needs.
    const http = await NestFactory.create(root, { logger, abortOnError: false, bodyParser: false });
    http.connectMicroservice({ strategy }, { inheritAppConfig: true });
    // Middleware must be in place before listen() registers the routes behind it.
    await options.http(http, config);
    await http.startAllMicroservices();
    app = http;
  } else {
    const micro = await NestFactory.createMicroservice(root, { strategy, logger, abortOnError: false });
    await micro.listen();
    app = micro;
  }
  log.log(`${options.service} ready (pid ${process.pid}, start #${starts})`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await app.close();
      await bus.close();
      policy.close();
      await closeDatabase(database);
    })();
    return closing;
  };
  installSignalHandlers(close, log);
  return { config, close };
}

function rootModule(
  options: ServiceOptions,
  parts: {
    config: RuntimeConfig;
    policy: PolicyStore;
    database: DataSource;
    bus: BusClient;
    health: HealthRegistry;
  },
): DynamicModule {
  @Global()
  @Module({})
  class RuntimeModule {}

  const runtime: DynamicModule = {
    module: RuntimeModule,
    global: true,
    providers: [
      { provide: SERVICE_NAME, useValue: options.service },
      { provide: RUNTIME_CONFIG, useValue: parts.config },
      { provide: PolicyStore, useValue: parts.policy },
      { provide: BusClient, useValue: parts.bus },
      { provide: HealthRegistry, useValue: parts.health },
      { provide: DATABASE, useValue: parts.database },
    ],
    exports: [SERVICE_NAME, RUNTIME_CONFIG, PolicyStore, BusClient, HealthRegistry, DATABASE],
  };

  @Module({})
  class ServiceRootModule {}

  return {
    module: ServiceRootModule,
    imports: [runtime, ...options.imports],
    controllers: options.service === 'ui' ? [] : [healthControllerFor(options.service)],
  };
}

/**
 * A policy change is logged with its errors and published as `events.<prefix>.policy.<version>.changed`,
 * so the UI and operators see which version each service runs. `ui` holds no event grant: it logs only.
 */
function announcePolicyChanges(service: ServiceName, policy: PolicyStore, bus: BusClient, log: Logger): void {
  policy.onChange((next, previous) => {
    log.log(`policy changed from version ${previous.version} to ${next.version}`);
    for (const issue of next.errors) log.error(`policy: ${issue.message}`);
    if (service === 'ui') return;
    bus.publish(eventSubject(service, 'policy', next.version, 'changed'), {
      service,
      version: next.version,
      previousVersion: previous.version,
      errors: next.errors.map((issue) => issue.message),
      managedKeys: Object.entries(next.managed)
        .filter(([, managed]) => managed)
        .map(([key]) => key),
      loadedAt: next.loadedAt,
    });
  });
}

function registerRuntimeChecks(
  health: HealthRegistry,
  bus: BusClient,
  database: DataSource,
  policy: PolicyStore,
): void {
  health.register('bus', () =>
    bus.status === 'connected'
      ? { status: 'ok' }
      : { status: 'down', detail: `bus connection ${bus.status}` },
  );
  health.register('database', async () => {
    await database.query('SELECT 1');
    return { status: 'ok' };
  });
  health.register('policy', () => {
    const errors = policy.current.errors;
    return errors.length === 0
      ? { status: 'ok', detail: `version ${policy.current.version}` }
      : {
          status: 'degraded',
          detail: `${errors.length} policy error(s); affected keys use their most restrictive values`,
        };
  });
}

function installSignalHandlers(close: () => Promise<void>, log: Logger): void {
  const stop = (signal: string): void => {
    log.log(`${signal} received, stopping`);
    const deadline = setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (error) => {
    log.error(`uncaught exception: ${error.stack ?? String(error)}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    log.error(
      `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
    process.exit(1);
  });
}
