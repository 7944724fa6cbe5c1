import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';

type PermissionViolationError = InstanceType<typeof errors.PermissionViolationError>;
import { SERVICE_NAMES, type ServiceName } from '@steward/contracts';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { listeningAddresses } from '../support/sockets.js';

/**
 * ARCHITECTURE §2, written out here independently of the contracts' grant table, so a wrong
 * generator or a wrong table fails this test instead of agreeing with itself.
 */
const SPEC: Record<ServiceName, { serves: string[]; publishes: string[] }> = {
  orchestrator: {
    serves: ['orchestrator.>'],
    publishes: [
      'fs.>',
      'vm.>',
      'plugin.>',
      'events.orchestrator.>',
      // Writes task events to their stream: may make it exist with its settings, nothing else.
      '$JS.API.STREAM.INFO.STEWARD_TASK_EVENTS',
      '$JS.API.STREAM.CREATE.STEWARD_TASK_EVENTS',
      '$JS.API.STREAM.UPDATE.STEWARD_TASK_EVENTS',
    ],
  },
  'fs-service': { serves: ['fs.>'], publishes: ['events.fs.>'] },
  'vm-service': { serves: ['vm.>'], publishes: ['events.vm.>'] },
  'plugin-host': { serves: ['plugin.>'], publishes: ['events.plugin.>'] },
  scheduler: { serves: ['scheduler.>'], publishes: ['orchestrator.task.create', 'events.scheduler.>'] },
  ui: {
    serves: ['events.>'],
    publishes: [
      'orchestrator.>',
      'scheduler.>',
      'plugin.*.list',
      'plugin.*.get',
      'plugin.admin.>',
      'fs.roots.>',
      '*.health.get',
      // Reads task events through consumers of its own, filtered on task events only.
      '$JS.API.STREAM.INFO.STEWARD_TASK_EVENTS',
      '$JS.API.CONSUMER.CREATE.STEWARD_TASK_EVENTS.*.events.orchestrator.task.>',
      '$JS.API.CONSUMER.INFO.STEWARD_TASK_EVENTS.*',
      '$JS.API.CONSUMER.DELETE.STEWARD_TASK_EVENTS.*',
      '$JS.API.CONSUMER.MSG.NEXT.STEWARD_TASK_EVENTS.*',
    ],
  },
};

const PUBLISH_PROBES = [
  'orchestrator.task.create',
  'orchestrator.task.cancel',
  'fs.file.read',
  'fs.file.write',
  'fs.roots.inspect',
  'fs.health.get',
  'vm.exec.run',
  'vm.health.get',
  'plugin.tools.call',
  'plugin.tools.list',
  'plugin.servers.get',
  'plugin.admin.restart',
  'scheduler.schedule.create',
  'scheduler.health.get',
  'ui.session.get',
  'events.orchestrator.task.t1.delta',
  'events.fs.file.f1.changed',
  'events.vm.exec.e1.output',
  'events.plugin.server.p1.state',
  'events.scheduler.run.r1.started',
  '_INBOX.orchestrator.forged',
  '_INBOX.ui.forged',
  'anything.at.all',
  '$JS.API.INFO',
  '$JS.API.STREAM.NAMES',
  '$JS.API.STREAM.INFO.STEWARD_TASK_EVENTS',
  '$JS.API.STREAM.CREATE.STEWARD_TASK_EVENTS',
  '$JS.API.STREAM.UPDATE.STEWARD_TASK_EVENTS',
  '$JS.API.STREAM.DELETE.STEWARD_TASK_EVENTS',
  '$JS.API.STREAM.PURGE.STEWARD_TASK_EVENTS',
  '$JS.API.STREAM.MSG.DELETE.STEWARD_TASK_EVENTS',
  '$JS.API.STREAM.INFO.OTHER',
  '$JS.API.STREAM.CREATE.OTHER',
  '$JS.API.CONSUMER.CREATE.STEWARD_TASK_EVENTS.probe_1.events.orchestrator.task.t1.>',
  '$JS.API.CONSUMER.CREATE.STEWARD_TASK_EVENTS.probe_1.events.fs.>',
  '$JS.API.CONSUMER.CREATE.STEWARD_TASK_EVENTS.probe_1',
  '$JS.API.CONSUMER.CREATE.STEWARD_TASK_EVENTS',
  '$JS.API.CONSUMER.DURABLE.CREATE.STEWARD_TASK_EVENTS.probe_1',
  '$JS.API.CONSUMER.CREATE.OTHER.probe_1.events.orchestrator.task.t1.>',
  '$JS.API.CONSUMER.INFO.STEWARD_TASK_EVENTS.probe_1',
  '$JS.API.CONSUMER.DELETE.STEWARD_TASK_EVENTS.probe_1',
  '$JS.API.CONSUMER.MSG.NEXT.STEWARD_TASK_EVENTS.probe_1',
  '$JS.API.CONSUMER.MSG.NEXT.OTHER.probe_1',
  '$JS.API.CONSUMER.LIST.STEWARD_TASK_EVENTS',
];

function inbox(service: ServiceName): string {
  return `_INBOX.${service}.>`;
}

function subscribeProbes(): string[] {
  return [
    '>',
    '_INBOX.>',
    'events.>',
    'fs.>',
    'fs.file.read',
    'vm.>',
    'orchestrator.>',
    'plugin.>',
    'scheduler.>',
    ...SERVICE_NAMES.map(inbox),
  ];
}

function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** Whether subscribing to `probe` stays inside what the spec lets the service read. */
function maySubscribe(service: ServiceName, probe: string): boolean {
  const own = [...SPEC[service].serves, inbox(service)];
  return own.some(
    (pattern) =>
      pattern === probe || (pattern.endsWith('.>') && matches(pattern, probe.replace(/\.>$/, '.x'))),
  );
}

async function connectAs(
  server: TestNatsServer,
  service: ServiceName,
): Promise<{ nc: NatsConnection; violations: PermissionViolationError[] }> {
  const nc = await connect({
    servers: server.url,
    user: service,
    pass: server.passwords[service],
    inboxPrefix: `_INBOX.${service}`,
    reconnect: false,
  });
  const violations: PermissionViolationError[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && status.error instanceof errors.PermissionViolationError)
        violations.push(status.error);
    }
  })();
  return { nc, violations };
}

const settle = async (nc: NatsConnection): Promise<void> => {
  await nc.flush();
  await new Promise((resolve) => setTimeout(resolve, 50));
};

describe('the bus is confined by nats-server itself', () => {
  let server: TestNatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('listens on loopback only, with monitoring off and JetStream on', () => {
    expect(server.configText).toMatch(new RegExp(`listen: "127\\.0\\.0\\.1:${server.port}"`));
    expect(server.configText).not.toMatch(/http(_port)?\s*:/);
    expect(server.configText).toMatch(/jetstream \{/);
    expect(listeningAddresses(server.port)).toEqual({ v4: ['0100007F'], v6: [] });
  });

  for (const service of SERVICE_NAMES) {
    it(`${service} may publish exactly its own grants; the server refuses the rest`, async () => {
      const { nc, violations } = await connectAs(server, service);
      for (const subject of PUBLISH_PROBES) nc.publish(subject, 'probe');
      await settle(nc);
      const refused = new Set(violations.filter((v) => v.operation === 'publish').map((v) => v.subject));
      for (const subject of PUBLISH_PROBES) {
        const allowed = SPEC[service].publishes.some((pattern) => matches(pattern, subject));
        expect({ subject, refused: refused.has(subject) }).toEqual({ subject, refused: !allowed });
      }
      await nc.close();
    });

    it(`${service} may subscribe only to what it serves and its own inbox`, async () => {
      const { nc, violations } = await connectAs(server, service);
      const probes = subscribeProbes();
      for (const subject of probes) nc.subscribe(subject, { callback: () => undefined });
      await settle(nc);
      const refused = new Set(violations.filter((v) => v.operation === 'subscription').map((v) => v.subject));
      for (const subject of probes) {
        expect({ subject, refused: refused.has(subject) }).toEqual({
          subject,
          refused: !maySubscribe(service, subject),
        });
      }
      await nc.close();
    });
  }

  it('a service answers a request it received, but cannot publish into an inbox unasked', async () => {
    const fs = await connectAs(server, 'fs-service');
    const orchestrator = await connectAs(server, 'orchestrator');
    fs.nc.subscribe('fs.test.echo', {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    await fs.nc.flush();
    const reply = await orchestrator.nc.request('fs.test.echo', 'ping', { timeout: 2_000 });
    expect(reply.string()).toBe('ping');

    fs.nc.publish('_INBOX.orchestrator.unsolicited', 'forged reply');
    await settle(fs.nc);
    expect(fs.violations.map((v) => [v.operation, v.subject])).toContainEqual([
      'publish',
      '_INBOX.orchestrator.unsolicited',
    ]);
    await Promise.all([fs.nc.close(), orchestrator.nc.close()]);
  });

  it('an allowed publish is delivered to the service that serves the subject', async () => {
    const fs = await connectAs(server, 'fs-service');
    const orchestrator = await connectAs(server, 'orchestrator');
    const received: string[] = [];
    fs.nc.subscribe('fs.>', {
      callback: (_err, msg) => {
        received.push(msg.subject);
      },
    });
    await fs.nc.flush();
    orchestrator.nc.publish('fs.file.read', '{}');
    await settle(orchestrator.nc);
    await settle(fs.nc);
    expect(received).toEqual(['fs.file.read']);
    await Promise.all([fs.nc.close(), orchestrator.nc.close()]);
  });

  it('refuses anonymous connections and wrong passwords', async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toBeInstanceOf(
      errors.AuthorizationError,
    );
    await expect(
      connect({ servers: server.url, user: 'orchestrator', pass: 'not-the-password', reconnect: false }),
    ).rejects.toBeInstanceOf(errors.AuthorizationError);
    await expect(
      connect({
        servers: server.url,
        user: 'fs-service',
        pass: server.passwords.orchestrator,
        reconnect: false,
      }),
    ).rejects.toBeInstanceOf(errors.AuthorizationError);
  });
});
