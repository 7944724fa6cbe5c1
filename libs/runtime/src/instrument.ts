import type { ServiceName } from '@steward/contracts';
import { loadPolicy, loadRuntimeConfig, policyValue } from '@steward/config';
import { startTelemetry, type TelemetryHandle } from '@steward/telemetry';

/**
 * Starts OpenTelemetry for a process before its services are built. A managed telemetry
 * endpoint wins over the environment; content capture is off unless policy turns it on.
 */
export function startServiceTelemetry(service: ServiceName): TelemetryHandle {
  const config = loadRuntimeConfig();
  const policy = loadPolicy({
    settingsFile: config.paths.settingsFile,
  });
  const managedEndpoint = policy.managed['telemetry.otlpEndpoint']
    ? policyValue(policy, 'telemetry.otlpEndpoint')
    : undefined;
  const otlpEndpoint =
    managedEndpoint ?? config.otlpEndpoint ?? policyValue(policy, 'telemetry.otlpEndpoint') ?? undefined;
  return startTelemetry({
    service,
    version: config.version,
    otlpEndpoint,
    metricsPort: config.metricsPorts[service],
    captureContent: policyValue(policy, 'telemetry.captureContent'),
  });
}
