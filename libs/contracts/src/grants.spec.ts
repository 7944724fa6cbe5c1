import { describe, expect, it } from 'vitest';
import {
  allowedPublications,
  allowedSubscriptions,
  BUS_GRANTS,
  mayPublish,
  serverOfSubject,
  subjectMatches,
  TASK_EVENT_STREAM,
  TASK_EVENT_SUBJECTS,
} from './grants.js';
import { ALL_RPCS } from './registry.js';
import { SERVICE_NAMES, SUBJECT_PREFIX } from './services.js';

describe('subject matching', () => {
  it('follows NATS wildcard rules', () => {
    expect(subjectMatches('fs.>', 'fs.file.read')).toBe(true);
    expect(subjectMatches('fs.>', 'fs')).toBe(false);
    expect(subjectMatches('*.health.get', 'vm.health.get')).toBe(true);
    expect(subjectMatches('*.health.get', 'vm.health.get.more')).toBe(false);
    expect(subjectMatches('plugin.*.list', 'plugin.tools.list')).toBe(true);
    expect(subjectMatches('plugin.*.list', 'plugin.tools.call')).toBe(false);
    expect(subjectMatches('orchestrator.task.create', 'orchestrator.task.create')).toBe(true);
  });
});

describe('the grant table and the RPC registry agree', () => {
  it('every RPC is served under its server prefix and its server may subscribe to it', () => {
    for (const rpc of ALL_RPCS) {
      expect(serverOfSubject(rpc.subject)).toBe(rpc.server);
      expect(rpc.subject.startsWith(`${SUBJECT_PREFIX[rpc.server]}.`)).toBe(true);
      expect(allowedSubscriptions(rpc.server).some((p) => subjectMatches(p, rpc.subject))).toBe(true);
    }
  });

  it('every declared caller of an RPC is allowed to publish its subject', () => {
    for (const rpc of ALL_RPCS) {
      for (const caller of rpc.callers)
        expect({ caller, subject: rpc.subject, ok: mayPublish(caller, rpc.subject) }).toMatchObject({
          ok: true,
        });
    }
  });

  it('no service may subscribe to another service’s inbox or to everything', () => {
    for (const service of SERVICE_NAMES) {
      const subs = allowedSubscriptions(service);
      expect(subs).not.toContain('>');
      expect(subs).not.toContain('_INBOX.>');
      for (const other of SERVICE_NAMES.filter((s) => s !== service)) {
        expect(subs.some((p) => subjectMatches(p, `_INBOX.${other}.abc`))).toBe(false);
      }
    }
  });

  it('each service emits events only under its own prefix', () => {
    for (const service of SERVICE_NAMES) {
      const eventGrants = allowedPublications(service).filter((p) => p.startsWith('events.'));
      for (const pattern of eventGrants) expect(pattern).toBe(`events.${SUBJECT_PREFIX[service]}.>`);
    }
    expect(BUS_GRANTS.ui.publishes.some((p) => p.startsWith('events.'))).toBe(false);
  });
});

describe('JetStream grants', () => {
  it('name the task event stream and nothing else, with no wildcard over the API', () => {
    for (const service of SERVICE_NAMES) {
      for (const subject of BUS_GRANTS[service].jetstream) {
        expect(subject.startsWith('$JS.API.')).toBe(true);
        expect(subject.split('.')).toContain(TASK_EVENT_STREAM);
        expect(subjectMatches(subject, '$JS.API.INFO')).toBe(false);
        expect(subjectMatches(subject, '$JS.API.STREAM.LIST')).toBe(false);
      }
      expect(allowedPublications(service).some((p) => p.startsWith('$JS.API.>') || p === '>')).toBe(false);
    }
  });

  it('only the orchestrator and the ui touch JetStream at all', () => {
    for (const service of SERVICE_NAMES.filter((s) => s !== 'orchestrator' && s !== 'ui')) {
      expect(BUS_GRANTS[service].jetstream).toEqual([]);
      expect(mayPublish(service, `$JS.API.STREAM.INFO.${TASK_EVENT_STREAM}`)).toBe(false);
    }
  });

  it('the orchestrator manages the stream but reads nothing from it', () => {
    expect(mayPublish('orchestrator', `$JS.API.STREAM.CREATE.${TASK_EVENT_STREAM}`)).toBe(true);
    expect(mayPublish('orchestrator', `$JS.API.STREAM.UPDATE.${TASK_EVENT_STREAM}`)).toBe(true);
    expect(mayPublish('orchestrator', 'events.orchestrator.task.t1.status')).toBe(true);
    expect(mayPublish('orchestrator', `$JS.API.STREAM.DELETE.${TASK_EVENT_STREAM}`)).toBe(false);
    expect(mayPublish('orchestrator', `$JS.API.STREAM.PURGE.${TASK_EVENT_STREAM}`)).toBe(false);
    expect(mayPublish('orchestrator', `$JS.API.CONSUMER.MSG.NEXT.${TASK_EVENT_STREAM}.c1`)).toBe(false);
    expect(mayPublish('orchestrator', '$JS.API.STREAM.CREATE.OTHER')).toBe(false);
  });

  it('the ui reads task events through consumers of its own, and may not change the stream', () => {
    const filtered = `$JS.API.CONSUMER.CREATE.${TASK_EVENT_STREAM}.c1.events.orchestrator.task.t1.>`;
    expect(TASK_EVENT_SUBJECTS).toBe('events.orchestrator.task.>');
    expect(mayPublish('ui', filtered)).toBe(true);
    expect(mayPublish('ui', `$JS.API.CONSUMER.MSG.NEXT.${TASK_EVENT_STREAM}.c1`)).toBe(true);
    expect(mayPublish('ui', `$JS.API.CONSUMER.DELETE.${TASK_EVENT_STREAM}.c1`)).toBe(true);
    expect(mayPublish('ui', `$JS.API.CONSUMER.CREATE.${TASK_EVENT_STREAM}.c1.events.fs.>`)).toBe(false);
    expect(mayPublish('ui', `$JS.API.CONSUMER.CREATE.${TASK_EVENT_STREAM}.c1`)).toBe(false);
    expect(mayPublish('ui', `$JS.API.CONSUMER.DURABLE.CREATE.${TASK_EVENT_STREAM}.d1`)).toBe(false);
    expect(mayPublish('ui', '$JS.API.CONSUMER.CREATE.OTHER.c1.events.orchestrator.task.t1.>')).toBe(false);
    expect(mayPublish('ui', `$JS.API.STREAM.DELETE.${TASK_EVENT_STREAM}`)).toBe(false);
    expect(mayPublish('ui', `$JS.API.STREAM.UPDATE.${TASK_EVENT_STREAM}`)).toBe(false);
    expect(mayPublish('ui', 'events.orchestrator.task.t1.status')).toBe(false);
  });
});
