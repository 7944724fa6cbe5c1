import { describe, expect, it } from 'vitest';
import {
  allowedPublications,
  allowedSubscriptions,
  BUS_GRANTS,
  mayPublish,
  serverOfSubject,
  subjectMatches,
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
