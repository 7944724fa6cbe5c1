import { inboxPrefix, SERVICE_NAMES, SUBJECT_PREFIX, type ServiceName } from './services.js';

/**
 * What each service's NATS user may do (ARCHITECTURE §2). `nats-server.conf` is generated from
 * this table, and a test holds every RPC's declared callers against it.
 */
export interface BusGrant {
  /** Subjects the service subscribes to (what it serves or listens to). */
  readonly serves: readonly string[];
  /** Subjects the service may publish to (requests it makes, events it emits). */
  readonly publishes: readonly string[];
}

export const BUS_GRANTS: Readonly<Record<ServiceName, BusGrant>> = {
  orchestrator: {
    serves: ['orchestrator.>'],
    publishes: ['fs.>', 'vm.>', 'plugin.>', 'events.orchestrator.>'],
  },
  'fs-service': { serves: ['fs.>'], publishes: ['events.fs.>'] },
  'vm-service': { serves: ['vm.>'], publishes: ['events.vm.>'] },
  'plugin-host': { serves: ['plugin.>'], publishes: ['events.plugin.>'] },
  scheduler: {
    serves: ['scheduler.>'],
    publishes: ['orchestrator.task.create', 'events.scheduler.>'],
  },
  ui: {
    serves: ['events.>'],
    publishes: [
      'orchestrator.>',
      'scheduler.>',
      // plugin-host: read and admin verbs only; tool calls belong to the orchestrator.
      'plugin.*.list',
      'plugin.*.get',
      'plugin.admin.>',
      'fs.roots.>',
      '*.health.get',
    ],
  },
};

/** Subscriptions a service's user is allowed: what it serves plus its own inbox, nothing else. */
export function allowedSubscriptions(service: ServiceName): string[] {
  return [...BUS_GRANTS[service].serves, `${inboxPrefix(service)}.>`];
}

export function allowedPublications(service: ServiceName): string[] {
  return [...BUS_GRANTS[service].publishes];
}

/** NATS subject matching: `*` matches one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

export function mayPublish(service: ServiceName, subject: string): boolean {
  return allowedPublications(service).some((pattern) => subjectMatches(pattern, subject));
}

/** The service whose prefix a request subject starts with, if any. */
export function serverOfSubject(subject: string): ServiceName | undefined {
  const prefix = subject.split('.')[0];
  return SERVICE_NAMES.find((name) => SUBJECT_PREFIX[name] === prefix);
}
