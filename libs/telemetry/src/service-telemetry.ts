import type { ServiceName } from '@steward/contracts';
import { loadPolicy, loadRuntimeConfig, policyValue } from '@steward/config';
import { startTelemetry, type TelemetryHandle } from './telemetry.js';

/**
 * Starts OpenTelemetry for a Steward process from its configuration and policy. Each app's
 * `instrument.ts` calls it and is the first import of `main.ts`; it pulls in nothing but config
 * and telemetry, so the SDK runs before any other module of the process is evaluated.
 *
 * The endpoint is the policy key `telemetry.otlpEndpoint`: a managed value beats
 * `OTEL_EXPORTER_OTLP_ENDPOINT` and the person's settings. Content capture stays off unless
 * policy turns it on.
 */
export function startServiceTelemetry(service: ServiceName): TelemetryHandle {
  const config = loadRuntimeConfig();
  const policy = loadPolicy({ settingsFile: config.paths.settingsFile });
  return startTelemetry({
    service,
    version: config.version,
    otlpEndpoint: policyValue(policy, 'telemetry.otlpEndpoint') ?? undefined,
    metricsPort: config.metricsPorts[service],
    captureContent: policyValue(policy, 'telemetry.captureContent'),
  });
}
