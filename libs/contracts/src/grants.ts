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
  /**
   * JetStream API calls the service may make, each naming one stream: a service gets exactly the
   * verbs its side of that stream needs, never `$JS.API.>`.
   */
  readonly jetstream: readonly string[];
}

/** The stream that keeps task events, so a page that reconnects gets what it missed (§1, §5). */
export const TASK_EVENT_STREAM = 'STEWARD_TASK_EVENTS';
/** Every subject the task event stream captures: `events.orchestrator.task.<taskId>.<kind>`. */
export const TASK_EVENT_SUBJECTS = 'events.orchestrator.task.>';

const JS_API = '$JS.API';

export const BUS_GRANTS: Readonly<Record<ServiceName, BusGrant>> = {
  orchestrator: {
    serves: ['orchestrator.>'],
    publishes: ['fs.>', 'vm.>', 'plugin.>', 'events.orchestrator.>'],
    // The writer of task events: makes sure the stream exists with its settings; its appends are
    // plain publishes on `events.orchestrator.>`, acknowledged by the server into its own inbox.
    jetstream: [
      `${JS_API}.STREAM.INFO.${TASK_EVENT_STREAM}`,
      `${JS_API}.STREAM.CREATE.${TASK_EVENT_STREAM}`,
      `${JS_API}.STREAM.UPDATE.${TASK_EVENT_STREAM}`,
    ],
  },
  'fs-service': { serves: ['fs.>'], publishes: ['events.fs.>'], jetstream: [] },
  'vm-service': { serves: ['vm.>'], publishes: ['events.vm.>'], jetstream: [] },
  'plugin-host': { serves: ['plugin.>'], publishes: ['events.plugin.>'], jetstream: [] },
  scheduler: {
    serves: ['scheduler.>'],
    publishes: ['orchestrator.task.create', 'events.scheduler.>'],
    jetstream: [],
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
    // The reader of task events: ordered consumers (ephemeral, one per open page) filtered on
    // task event subjects only, read by pull requests whose messages arrive in its own inbox.
    jetstream: [
      `${JS_API}.STREAM.INFO.${TASK_EVENT_STREAM}`,
      `${JS_API}.CONSUMER.CREATE.${TASK_EVENT_STREAM}.*.${TASK_EVENT_SUBJECTS}`,
      `${JS_API}.CONSUMER.INFO.${TASK_EVENT_STREAM}.*`,
      `${JS_API}.CONSUMER.DELETE.${TASK_EVENT_STREAM}.*`,
      `${JS_API}.CONSUMER.MSG.NEXT.${TASK_EVENT_STREAM}.*`,
    ],
  },
};

/** Subscriptions a service's user is allowed: what it serves plus its own inbox, nothing else. */
export function allowedSubscriptions(service: ServiceName): string[] {
  return [...BUS_GRANTS[service].serves, `${inboxPrefix(service)}.>`];
}

/** Everything a service's user may publish: its bus subjects and its JetStream API calls. */
export function allowedPublications(service: ServiceName): string[] {
  return [...BUS_GRANTS[service].publishes, ...BUS_GRANTS[service].jetstream];
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
