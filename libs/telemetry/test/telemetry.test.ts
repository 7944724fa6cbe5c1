import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const libRoot = join(here, '..');
const repoRoot = join(libRoot, '..', '..');
const fixture = join(here, 'fixtures', 'emit-span.mjs');
const MARKER = 'MARKER-c0ntent-9d41-never-exported';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  traceId: string;
  name: string;
  attributes: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A minimal OTLP/HTTP JSON collector: what it receives is exactly what left the process. */
class OtlpReceiver {
  readonly bodies: string[] = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      } else {
        response.writeHead(404);
        response.end();
      }
    });
  });

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  exports(): OtlpExport[] {
    return this.bodies.map((body) => JSON.parse(body) as OtlpExport);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface ReadyEvent {
  event: 'ready';
  metricsPort: number | null;
  handlePort: number | null;
  traceId: string;
}

class FixtureProcess {
  readonly stderr: string[] = [];
  private readonly events: Record<string, unknown>[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(options: { otlpEndpoint?: string; metricsPort: number | null; captureContent?: boolean }) {
    this.child = spawn(process.execPath, [fixture, JSON.stringify({ ...options, marker: MARKER })], {
      cwd: libRoot,
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.events.push(JSON.parse(line) as Record<string, unknown>);
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  async ready(): Promise<ReadyEvent> {
    const event = await this.waitFor('ready');
    return event as unknown as ReadyEvent;
  }

  async waitFor(name: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => event['event'] === name);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null)
        throw new Error(`fixture exited before "${name}": ${this.stderr.join('')}`);
      if (Date.now() > deadline) throw new Error(`fixture never reported "${name}": ${this.stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  shutdown(): void {
    this.child.stdin.end('shutdown\n');
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function stringAttribute(attributes: OtlpAttribute[], key: string): string | undefined {
  return attributes.find((attribute) => attribute.key === key)?.value.stringValue;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends OtlpReceiver | FixtureProcess | TcpServer>(resource: T): T {
  cleanups.push(() => {
    if (resource instanceof OtlpReceiver) return resource.close();
    if (resource instanceof FixtureProcess) return resource.kill();
    return new Promise<void>((resolve) => resource.close(() => resolve()));
  });
  return resource;
}

beforeAll(() => {
  // The fixture imports dist/, so the test runs against what apps will load.
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', libRoot],
    {
      cwd: repoRoot,
      stdio: 'pipe',
    },
  );
});

describe('telemetry in a real process', () => {
  it('exports spans over OTLP/HTTP JSON with the service resource and without content or secrets', async () => {
    const receiver = track(new OtlpReceiver());
    const endpoint = await receiver.start();
    const child = track(new FixtureProcess({ otlpEndpoint: endpoint, metricsPort: 0 }));

    const ready = await child.ready();
    child.shutdown();
    await child.waitFor('done');
    expect(await child.exited).toEqual({ code: 0, signal: null });

    const exported = receiver.exports();
    const resourceSpans = exported.flatMap((body) => body.resourceSpans);
    const spans = resourceSpans.flatMap((entry) => entry.scopeSpans.flatMap((scope) => scope.spans));
    const span = spans.find((candidate) => candidate.name === 'chat claude-test');
    expect(span?.traceId).toBe(ready.traceId);

    const resource = resourceSpans[0]?.resource.attributes ?? [];
    expect(stringAttribute(resource, 'service.name')).toBe('orchestrator');
    expect(stringAttribute(resource, 'service.namespace')).toBe('steward');
    expect(stringAttribute(resource, 'service.version')).toBe('9.9.9-fixture');
    expect(stringAttribute(resource, 'service.instance.id')).toMatch(/:\d+$/);

    const keys = span?.attributes.map((attribute) => attribute.key);
    expect(keys).toContain('gen_ai.operation.name');
    expect(keys).not.toContain('gen_ai.input.messages');
    expect(keys).not.toContain('steward.content.file');
    const wire = receiver.bodies.join('\n');
    expect(wire).not.toContain(MARKER);
    expect(wire).not.toContain('sk-ant-api03-fixturesecret');
  });

  it('exports content when policy turns content capture on, still without secrets', async () => {
    const receiver = track(new OtlpReceiver());
    const endpoint = await receiver.start();
    const child = track(
      new FixtureProcess({ otlpEndpoint: endpoint, metricsPort: null, captureContent: true }),
    );

    await child.ready();
    child.shutdown();
    expect(await child.exited).toEqual({ code: 0, signal: null });

    const wire = receiver.bodies.join('\n');
    expect(wire).toContain(MARKER);
    expect(wire).not.toContain('sk-ant-api03-fixturesecret');
  });

  it('serves Prometheus text on the loopback metrics port', async () => {
    const child = track(new FixtureProcess({ metricsPort: 0 }));

    const ready = await child.ready();
    expect(ready.metricsPort).toBeGreaterThan(0);
    expect(ready.handlePort).toBe(ready.metricsPort);
    const response = await fetch(`http://127.0.0.1:${ready.metricsPort}/metrics`);
    const text = await response.text();
    child.shutdown();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain('# TYPE steward_fixture_tasks_total counter');
    expect(text).toMatch(/steward_fixture_tasks_total\{[^}]*outcome="ok"[^}]*\} 3/);
    expect(text).toContain('service_name="orchestrator"');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('finishes promptly and exits 0 when the collector is down', async () => {
    const closedPort = await freePort();
    const child = track(
      new FixtureProcess({ otlpEndpoint: `http://127.0.0.1:${closedPort}`, metricsPort: null }),
    );

    await child.ready();
    const shutdownStarted = Date.now();
    child.shutdown();
    await child.waitFor('done');
    const { code } = await child.exited;

    expect(code).toBe(0);
    expect(Date.now() - shutdownStarted).toBeLessThan(10_000);
    expect(child.stderr.join('')).toContain('ECONNREFUSED');
  });

  it('warns and keeps working when the metrics port is already taken', async () => {
    const occupant = track(createTcpServer());
    occupant.listen(0, '127.0.0.1');
    await once(occupant, 'listening');
    const takenPort = (occupant.address() as AddressInfo).port;
    const receiver = track(new OtlpReceiver());
    const endpoint = await receiver.start();
    const child = track(new FixtureProcess({ otlpEndpoint: endpoint, metricsPort: takenPort }));

    const ready = await child.ready();
    child.shutdown();
    await child.waitFor('done');

    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(ready.metricsPort).toBeNull();
    expect(ready.handlePort).toBeNull();
    expect(child.stderr.join('')).toContain(`metrics port 127.0.0.1:${takenPort} is already in use`);
    expect(receiver.bodies.join('\n')).toContain(ready.traceId);
  });
});
