import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES, SUBJECT_PREFIX } from '@steward/contracts';
import { listeningAddresses } from '../support/sockets.js';
import { freePortRange, startStack, type Stack } from '../support/stack.js';

describe('each service exposes Prometheus metrics on loopback', () => {
  let stack: Stack;
  let base: number;

  beforeAll(async () => {
    base = await freePortRange(SERVICE_NAMES.length);
    stack = await startStack({ env: { STEWARD_METRICS_PORT_BASE: String(base) } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const scrape = async (service: (typeof SERVICE_NAMES)[number]): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${base + SERVICE_NAMES.indexOf(service)}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('a bus request handled by a service shows in that service’s handler histogram', async () => {
    await stack.api('/api/health');
    for (const service of ['orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler'] as const) {
      const text = await scrape(service);
      expect(text).toMatch(/steward_bus_handler_duration/);
      expect(text).toContain(`rpc_method="${SUBJECT_PREFIX[service]}.health.get"`);
    }
  });

  it('metrics endpoints listen on 127.0.0.1 only', () => {
    for (let port = base; port < base + SERVICE_NAMES.length; port++) {
      expect({ port, addresses: listeningAddresses(port) }).toEqual({
        port,
        addresses: { v4: ['0100007F'], v6: [] },
      });
    }
  });

  it('no secret — UI token or bus password — appears in any metrics', async () => {
    const secrets = [stack.token, ...SERVICE_NAMES.map((s) => stack.credentials(s).pass)];
    for (const service of SERVICE_NAMES) {
      const text = await scrape(service);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
