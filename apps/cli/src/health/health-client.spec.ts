import { describe, expect, it } from 'vitest';
import { parseDetailedHealth, parsePublicHealth, servicesNotOk } from './health-client.js';

const allOk = {
  status: 'ok',
  services: Object.fromEntries(
    ['orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler', 'ui'].map((n) => [
      n,
      { status: 'ok' },
    ]),
  ),
  sandbox: { runtime: 'docker' },
};

describe('health answers', () => {
  it('reads the public health answer and finds nothing wrong when every service is ok', () => {
    const health = parsePublicHealth(allOk);
    expect(health?.sandboxRuntime).toBe('docker');
    expect(servicesNotOk(health)).toEqual([]);
  });

  it('lists services that are not ok, or missing from the answer', () => {
    const { scheduler: _gone, ...rest } = allOk.services;
    const health = parsePublicHealth({
      ...allOk,
      status: 'degraded',
      services: { ...rest, 'vm-service': { status: 'down' } },
    });
    expect(servicesNotOk(health)).toEqual(['vm-service', 'scheduler']);
    expect(servicesNotOk(undefined)).toHaveLength(6);
  });

  it('rejects answers of the wrong shape instead of trusting them', () => {
    expect(parsePublicHealth('ok')).toBeUndefined();
    expect(parsePublicHealth({ ...allOk, status: 'fine' })).toBeUndefined();
    expect(parsePublicHealth({ ...allOk, services: { ui: { status: 'great' } } })).toBeUndefined();
  });

  it('keeps the detail and the report of each service from the detailed answer', () => {
    const report = {
      service: 'ui',
      status: 'ok',
      version: '0.1.0',
      pid: 42,
      startedAt: '2026-01-01T00:00:00.000Z',
      uptimeMs: 1000,
      starts: 1,
      policyVersion: 'abc',
      checks: { bus: { status: 'ok' } },
    };
    const health = parseDetailedHealth({
      status: 'down',
      services: { ui: { status: 'ok', report }, scheduler: { status: 'down', detail: 'TIMEOUT: no answer' } },
      sandbox: { runtime: 'bubblewrap' },
    });
    expect(health?.services['ui']?.report?.pid).toBe(42);
    expect(health?.services['scheduler']?.detail).toBe('TIMEOUT: no answer');
  });
});
