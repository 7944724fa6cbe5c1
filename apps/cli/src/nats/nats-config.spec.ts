import { describe, expect, it } from 'vitest';
import {
  allowedPublications,
  allowedSubscriptions,
  SERVICE_NAMES,
  type ServiceName,
} from '@steward/contracts';
import { generatePasswords, renderNatsConfig } from './nats-config.js';

interface RenderedUser {
  readonly password: string;
  readonly publish: string[];
  readonly subscribe: string[];
  readonly allowResponses: boolean;
}

/** Reads the users back out of the rendered file, the way a reviewer would. */
function renderedUsers(config: string): Map<string, RenderedUser> {
  const users = new Map<string, RenderedUser>();
  const block =
    /\{\s*user: ("[^"]*")\s*password: ("[^"]*")\s*permissions: \{\s*publish: \{ allow: (\[[^\]]*\]) \}\s*subscribe: \{ allow: (\[[^\]]*\]) \}\s*(allow_responses: [^\n]*)?/g;
  for (const match of config.matchAll(block)) {
    const [, user, password, publish, subscribe, responses] = match;
    users.set(JSON.parse(user!) as string, {
      password: JSON.parse(password!) as string,
      publish: JSON.parse(publish!) as string[],
      subscribe: JSON.parse(subscribe!) as string[],
      allowResponses: responses !== undefined,
    });
  }
  return users;
}

describe('renderNatsConfig', () => {
  const passwords = generatePasswords();
  const config = renderNatsConfig({ port: 17422, storeDir: '/tmp/steward test/data/jetstream', passwords });

  it('has exactly one user per service, each with its own password and exactly its grants', () => {
    const users = renderedUsers(config);
    expect([...users.keys()].sort()).toEqual([...SERVICE_NAMES].sort());
    for (const service of SERVICE_NAMES) {
      const user = users.get(service);
      expect(user?.password).toBe(passwords[service]);
      expect(user?.publish).toEqual(allowedPublications(service));
      expect(user?.subscribe).toEqual(allowedSubscriptions(service));
      expect(user?.allowResponses).toBe(true);
    }
  });

  it('lets no service subscribe to another service inbox', () => {
    const users = renderedUsers(config);
    for (const service of SERVICE_NAMES) {
      const inboxes = users.get(service)?.subscribe.filter((subject) => subject.startsWith('_INBOX')) ?? [];
      expect(inboxes).toEqual([`_INBOX.${service}.>`]);
    }
  });

  it('listens on loopback only, with monitoring off and JetStream stored in STEWARD_HOME', () => {
    expect(config).toMatch(/^listen: "127\.0\.0\.1:17422"$/m);
    expect(config).not.toMatch(/^\s*(http|https|http_port|https_port|monitor_port):/m);
    expect(config).toContain('store_dir: "/tmp/steward test/data/jetstream"');
  });

  it('grants JetStream only on the task event stream: the orchestrator manages it, the ui reads it', () => {
    const users = renderedUsers(config);
    const jetstream = (service: ServiceName): string[] =>
      users.get(service)?.publish.filter((subject) => subject.startsWith('$JS')) ?? [];
    expect(jetstream('orchestrator')).toEqual([
      '$JS.API.STREAM.INFO.STEWARD_TASK_EVENTS',
      '$JS.API.STREAM.CREATE.STEWARD_TASK_EVENTS',
      '$JS.API.STREAM.UPDATE.STEWARD_TASK_EVENTS',
    ]);
    expect(jetstream('ui')).toEqual([
      '$JS.API.STREAM.INFO.STEWARD_TASK_EVENTS',
      '$JS.API.CONSUMER.CREATE.STEWARD_TASK_EVENTS.*.events.orchestrator.task.>',
      '$JS.API.CONSUMER.INFO.STEWARD_TASK_EVENTS.*',
      '$JS.API.CONSUMER.DELETE.STEWARD_TASK_EVENTS.*',
      '$JS.API.CONSUMER.MSG.NEXT.STEWARD_TASK_EVENTS.*',
    ]);
    for (const service of SERVICE_NAMES.filter((s) => s !== 'orchestrator' && s !== 'ui')) {
      expect(jetstream(service)).toEqual([]);
    }
    expect(config).not.toContain('$JS.API.>');
  });

  it('generates a different strong password for every service on every call', () => {
    const again = generatePasswords();
    const all = SERVICE_NAMES.flatMap((service: ServiceName) => [passwords[service], again[service]]);
    expect(new Set(all).size).toBe(all.length);
    for (const password of all) expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
