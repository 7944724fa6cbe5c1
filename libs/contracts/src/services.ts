/** The six processes of Steward. Names are NATS user names and `run/<service>.pid` file stems. */
export const SERVICE_NAMES = [
  'orchestrator',
  'fs-service',
  'vm-service',
  'plugin-host',
  'scheduler',
  'ui',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The first token of every request subject a service serves: `<prefix>.<noun>.<verb>`. */
export const SUBJECT_PREFIX: Readonly<Record<ServiceName, string>> = {
  orchestrator: 'orchestrator',
  'fs-service': 'fs',
  'vm-service': 'vm',
  'plugin-host': 'plugin',
  scheduler: 'scheduler',
  ui: 'ui',
};

export const DEFAULT_UI_PORT = 7420;
export const DEFAULT_NATS_PORT = 7422;

/** Prometheus endpoints on loopback (ARCHITECTURE §8). */
export const DEFAULT_METRICS_PORTS: Readonly<Record<ServiceName, number>> = {
  orchestrator: 9464,
  'fs-service': 9465,
  'vm-service': 9466,
  'plugin-host': 9467,
  scheduler: 9468,
  ui: 9469,
};

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/**
 * Each service gets inboxes under its own prefix, so the server can refuse a subscription to
 * anyone else's replies.
 */
export function inboxPrefix(service: ServiceName): string {
  return `_INBOX.${service}`;
}

/**
 * The most one bus message may carry (nats-server `max_payload`): NATS's recommended ceiling.
 * Larger results are capped or streamed in chunks by the services that produce them.
 */
export const BUS_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
