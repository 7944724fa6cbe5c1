import { hostname } from 'node:os';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { isServiceName, StewardError, type ServiceName } from '@steward/contracts';
import { stderrLogger, ThrottledDiagLogger, type TelemetryLogger } from './diagnostics.js';
import { LoopbackMetricsServer } from './metrics-server.js';
import { RedactingSpanProcessor } from './redacting-span-processor.js';

export interface TelemetryOptions {
  service: ServiceName;
  version: string;
  /** OTLP/HTTP base URL (as in `OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. No endpoint, no export. */
  otlpEndpoint?: string | undefined;
  /** Loopback Prometheus port; 0 picks a free one, null/undefined serves no metrics. */
  metricsPort?: number | null;
  /** Policy switch: when false (the default) prompt, tool and file content never leaves the process. */
  captureContent?: boolean;
  otlpHeaders?: Record<string, string>;
  /** Receives telemetry's own warnings; defaults to one line on stderr. */
  logger?: TelemetryLogger;
}

export interface TelemetryHandle {
  /** Flushes pending spans and stops exporting; bounded in time and never rejects. */
  shutdown(): Promise<void>;
  /**
   * The metrics port: the requested one until the server is listening, then the bound one
   * (the real port when 0 was requested); null when metrics are off or the port could not be bound.
   */
  readonly metricsPort: number | null;
  /** Settles once the metrics server is listening (its port) or has given up (null). */
  readonly metricsReady: Promise<number | null>;
}

export const SERVICE_NAMESPACE = 'steward';

/** Spans are dropped beyond this many waiting for export, so a slow collector costs bounded memory. */
export const MAX_QUEUED_SPANS = 2048;
const MAX_EXPORT_BATCH = 512;
const EXPORT_DELAY_MS = 2_000;
/** Per export attempt, retries included; a dead collector fails the batch after this long. */
const EXPORT_TIMEOUT_MS = 3_000;
/** Shutdown waits at most this long for the last batch, so a process never hangs on its collector. */
const SHUTDOWN_DEADLINE_MS = 4_000;
/** Captured content can be whole files; capping values bounds the size of a queued span. */
const ATTRIBUTE_VALUE_LENGTH_LIMIT = 32_768;

interface ActiveTelemetry {
  service: ServiceName;
  version: string;
  handle: TelemetryHandle;
}

let active: ActiveTelemetry | undefined;

/** The service telemetry was started for, or undefined before `startTelemetry`. */
export function telemetryService(): { service: ServiceName; version: string } | undefined {
  return active === undefined ? undefined : { service: active.service, version: active.version };
}

/**
 * Sets up OpenTelemetry for this process: W3C trace-context propagation, OTLP/HTTP JSON trace
 * export with redaction, and a loopback Prometheus endpoint. Call it once, before anything else
 * is imported; later calls return the first handle.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const logger = options.logger ?? stderrLogger;
  const settings = validate(options);
  if (active !== undefined) {
    if (active.service !== settings.service) {
      logger.warn(`telemetry already started for ${active.service}; ignoring start for ${settings.service}`);
    }
    return active.handle;
  }

  const diagnostics = new ThrottledDiagLogger(logger);
  diag.setLogger(diagnostics, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  // The SDK's default handler logs whole error objects as JSON; one readable line is what an operator needs.
  setGlobalErrorHandler((error) =>
    diagnostics.warn(`OpenTelemetry export or processing failed: ${describe(error)}`),
  );

  const metricsExporter =
    settings.metricsPort === null ? undefined : new PrometheusExporter({ preventServerStart: true });
  const metricsServer =
    metricsExporter === undefined
      ? undefined
      : new LoopbackMetricsServer(metricsExporter, settings.metricsPort ?? 0, (message) =>
          logger.warn(message),
        );

  const sdk = new NodeSDK({
    resource: buildResource(settings.service, settings.version),
    // Detectors would let OTEL_SERVICE_NAME rename the service and copy the command line (which may hold secrets) into every span.
    autoDetectResources: false,
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors: [buildSpanProcessor(settings)],
    spanLimits: { attributeValueLengthLimit: ATTRIBUTE_VALUE_LENGTH_LIMIT },
    // Explicit empty lists keep NodeSDK from adding OTLP metric and log exporters from OTEL_* defaults.
    metricReaders: metricsExporter === undefined ? [] : [metricsExporter],
    logRecordProcessors: [],
    instrumentations: [],
  });

  let sdkStarted = false;
  try {
    sdk.start();
    sdkStarted = true;
  } catch (error) {
    logger.warn(`OpenTelemetry SDK failed to start; continuing without telemetry: ${describe(error)}`);
  }

  const metricsReady: Promise<number | null> =
    metricsServer === undefined ? Promise.resolve(null) : metricsServer.listen();
  let metricsSettled = false;
  let metricsFailed = false;
  void metricsReady.then((port) => {
    metricsSettled = true;
    metricsFailed = port === null;
  });

  let shutdownPromise: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    get metricsPort(): number | null {
      if (metricsServer === undefined || metricsFailed) return null;
      return metricsSettled ? metricsServer.port : settings.metricsPort;
    },
    metricsReady,
    shutdown(): Promise<void> {
      shutdownPromise ??= shutdownWithin(SHUTDOWN_DEADLINE_MS, logger, [
        sdkStarted ? sdk.shutdown() : Promise.resolve(),
        metricsServer === undefined ? Promise.resolve() : metricsServer.close(),
      ]);
      return shutdownPromise;
    },
  };
  active = { service: settings.service, version: settings.version, handle };
  return handle;
}

interface Settings {
  service: ServiceName;
  version: string;
  tracesUrl: string | undefined;
  metricsPort: number | null;
  captureContent: boolean;
  otlpHeaders: Record<string, string>;
}

function validate(options: TelemetryOptions): Settings {
  if (typeof options.service !== 'string' || !isServiceName(options.service)) {
    throw new StewardError('INVALID_INPUT', `unknown service name for telemetry: ${String(options.service)}`);
  }
  if (typeof options.version !== 'string' || options.version.trim() === '') {
    throw new StewardError('INVALID_INPUT', 'telemetry needs a non-empty service version');
  }
  const port = options.metricsPort ?? null;
  if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new StewardError(
      'INVALID_INPUT',
      `metrics port must be an integer from 0 to 65535, got ${String(port)}`,
    );
  }
  const headers = options.otlpHeaders ?? {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new StewardError('INVALID_INPUT', `OTLP header ${name} must be a string`);
    }
  }
  return {
    service: options.service,
    version: options.version,
    tracesUrl: tracesUrl(options.otlpEndpoint),
    metricsPort: port,
    captureContent: options.captureContent === true,
    otlpHeaders: { ...headers },
  };
}

function tracesUrl(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined || endpoint.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new StewardError('INVALID_INPUT', `OTLP endpoint is not a URL: ${endpoint}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StewardError('INVALID_INPUT', `OTLP endpoint must be http or https, got ${url.protocol}`);
  }
  const base = url.href.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

function buildResource(service: ServiceName, version: string): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: service,
      [ATTR_SERVICE_VERSION]: version,
      'service.namespace': SERVICE_NAMESPACE,
      'service.instance.id': `${hostname()}:${process.pid}`,
      'process.pid': process.pid,
    }),
  );
}

function buildSpanProcessor(settings: Settings): SpanProcessor {
  // Without an endpoint spans are still created, so trace ids exist for propagation and error envelopes.
  if (settings.tracesUrl === undefined) return new NoopSpanProcessor();
  const exporter = new OTLPTraceExporter({
    url: settings.tracesUrl,
    headers: settings.otlpHeaders,
    timeoutMillis: EXPORT_TIMEOUT_MS,
  });
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize: MAX_QUEUED_SPANS,
    maxExportBatchSize: MAX_EXPORT_BATCH,
    scheduledDelayMillis: EXPORT_DELAY_MS,
    exportTimeoutMillis: EXPORT_TIMEOUT_MS,
  });
  return new RedactingSpanProcessor(batch, settings.captureContent);
}

async function shutdownWithin(
  deadlineMs: number,
  logger: TelemetryLogger,
  steps: Promise<void>[],
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deadlineMs);
    timer.unref();
  });
  const outcome = await Promise.race([Promise.allSettled(steps), deadline]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn(`telemetry shutdown did not finish within ${deadlineMs} ms; pending spans are dropped`);
    return;
  }
  for (const result of outcome) {
    if (result.status === 'rejected') logger.warn(`telemetry shutdown failed: ${describe(result.reason)}`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string'
  ) {
    return error.message;
  }
  return String(error);
}
