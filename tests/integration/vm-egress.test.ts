import { createServer, type Server } from 'node:http';
import { chownSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmExecRun, vmSandboxClose, vmSandboxOpen } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { busAs } from '../support/bus.js';
import { dockerRunning } from '../support/docker.js';
import { freePort, startStack, type Stack } from '../support/stack.js';

/*
 * Managed policy lets sandboxes out through vm-service's egress proxy to one listed host: commands
 * reach it through HTTP(S)_PROXY (plain requests and CONNECT tunnels), and nothing else — not
 * another port of the same host, not a name, not link-local metadata, not the stack's own UI or bus,
 * not the listed host itself without the proxy. Turning the network off closes the proxy at once.
 * Once with Docker, once with bubblewrap.
 */

const isRoot = process.getuid?.() === 0;

/** An address of this machine that is not loopback: a sandbox could only reach it by the proxy. */
function hostAddress(): string {
  for (const entries of Object.values(networkInterfaces())) {
    const found = entries?.find((entry) => entry.family === 'IPv4' && !entry.internal);
    if (found !== undefined) return found.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address for the egress test');
}

const RUNTIMES = [
  { runtime: 'docker', available: dockerRunning() },
  { runtime: 'bubblewrap', available: true },
] as const;

/** Python run in the sandbox: prints the status and body, or the kind of failure. */
const fetchScript = (url: string, useProxy = true): string =>
  `python3 - <<'EOF'
import urllib.request, urllib.error
opener = urllib.request.build_opener(${useProxy ? '' : 'urllib.request.ProxyHandler({})'})
try:
    with opener.open(${JSON.stringify(url)}, timeout=5) as answer:
        print(answer.status, answer.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
except Exception as e:
    print("failed", type(e).__name__, e)
EOF`;

/** A CONNECT tunnel through the proxy, as an HTTPS client opens one, then a request inside it. */
const tunnelScript = (host: string, port: number): string =>
  `python3 - <<'EOF'
import http.client
conn = http.client.HTTPConnection("127.0.0.1", 3128, timeout=5)
conn.set_tunnel(${JSON.stringify(host)}, ${port})
try:
    conn.request("GET", "/through-the-tunnel")
    answer = conn.getresponse()
    print(answer.status, answer.read().decode())
except OSError as e:
    print("failed", e)
EOF`;

/** Asks the proxy directly for an absolute URL, bypassing NO_PROXY. */
const viaProxyScript = (url: string): string =>
  `python3 - <<'EOF'
import http.client
conn = http.client.HTTPConnection("127.0.0.1", 3128, timeout=5)
conn.request("GET", ${JSON.stringify(url)})
answer = conn.getresponse()
print(answer.status, answer.read().decode().strip())
EOF`;

for (const { runtime, available } of RUNTIMES) {
  describe.runIf(available)(`sandbox egress through the proxy (${runtime})`, () => {
    let stack: Stack;
    let bus: BusClient;
    let managed: string;
    let folder: string;
    let allowed: Server;
    let allowedPort: number;
    let otherPort: number;
    let execs = 0;
    const address = hostAddress();
    const taskId = `egress-${runtime}`;
    const seen: string[] = [];

    const run = (command: string) =>
      bus.request(vmExecRun, { taskId, execId: `egress-${runtime}-${++execs}`, command, timeout_ms: 30_000 });
    const writeManaged = (policy: Record<string, unknown>): void => {
      const temp = join(managed, '.managed-settings.json.tmp');
      writeFileSync(temp, JSON.stringify(policy), { mode: 0o644 });
      renameSync(temp, join(managed, 'managed-settings.json'));
    };
    let foldersBefore: string[] = [];
    /** Socket folders of this stack: under its run folder, or private ones under /tmp. */
    const egressFolders = (): string[] => [
      ...readdirSync(join(stack.home, 'run'))
        .filter((name) => name === 'egress')
        .flatMap(() => readdirSync(join(stack.home, 'run', 'egress'))),
      ...readdirSync(tmpdir()).filter(
        (name) => name.startsWith('steward-egress-') && !foldersBefore.includes(name),
      ),
    ];

    beforeAll(async () => {
      allowedPort = await freePort();
      otherPort = await freePort();
      allowed = createServer((req, res) => {
        seen.push(`${req.method} ${req.url} proxy-authorization=${req.headers['proxy-authorization'] ?? ''}`);
        res.end(`hello from the allowed host, ${req.url}`);
      });
      await new Promise<void>((resolve) => allowed.listen(allowedPort, address, resolve));
      foldersBefore = readdirSync(tmpdir()).filter((name) => name.startsWith('steward-egress-'));
      managed = mkdtempSync(join(tmpdir(), 'steward-managed-egress-'));
      writeManaged({ 'sandbox.network': 'proxy', 'sandbox.egressHosts': [`${address}:${allowedPort}`] });
      stack = await startStack({
        env: { STEWARD_SANDBOX_RUNTIME: runtime, STEWARD_MANAGED_SETTINGS_DIR: managed },
      });
      bus = await busAs(stack, 'orchestrator');
      folder = mkdtempSync(join(tmpdir(), `steward-task-egress-${runtime}-`));
      if (isRoot) chownSync(folder, 1000, 1000);
      await bus.request(vmSandboxOpen, { taskId, folders: [folder] });
    }, 240_000);

    afterAll(async () => {
      await bus?.request(vmSandboxClose, { taskId }).catch(() => undefined);
      await bus?.close();
      await stack?.stop();
      await new Promise((resolve) => allowed?.close(resolve));
      for (const path of [managed, folder]) if (path) rmSync(path, { recursive: true, force: true });
    });

    it('gives every command the proxy, and the proxy reaches the listed host', async () => {
      const env = await run('echo "$HTTP_PROXY $HTTPS_PROXY $NO_PROXY"');
      expect(env.stdout.text.trim()).toBe(
        'http://127.0.0.1:3128 http://127.0.0.1:3128 localhost,127.0.0.1,::1',
      );
      const plain = await run(fetchScript(`http://${address}:${allowedPort}/report.csv`));
      expect(plain.stdout.text.trim()).toBe('200 hello from the allowed host, /report.csv');
      const tunnel = await run(tunnelScript(address, allowedPort));
      expect(tunnel.stdout.text.trim()).toBe('200 hello from the allowed host, /through-the-tunnel');
      expect(seen).toContain('GET /report.csv proxy-authorization=');
    });

    it('refuses everything the policy does not list, with the reason', async () => {
      for (const url of [
        `http://${address}:${otherPort}/`,
        'http://169.254.169.254/latest/meta-data/',
        'http://example.com/',
      ]) {
        const result = await run(fetchScript(url));
        expect(result.stdout.text, url).toMatch(/^403 Steward's egress policy refuses/);
      }
      // The stack's own UI and bus, asked of the proxy itself (NO_PROXY would keep urllib local).
      for (const port of [stack.uiPort, stack.natsPort]) {
        const result = await run(viaProxyScript(`http://127.0.0.1:${port}/`));
        expect(result.stdout.text).toMatch(/^403 Steward's egress policy refuses 127\.0\.0\.1/);
      }
      const tunnel = await run(tunnelScript(address, otherPort));
      expect(tunnel.stdout.text).toMatch(/^failed.*403/);
    });

    it('has no network of its own: no direct connection, no DNS, loopback is the sandbox’s own', async () => {
      const direct = await run(fetchScript(`http://${address}:${allowedPort}/direct`, false));
      expect(direct.stdout.text).toMatch(/^failed/);
      const local = await run(fetchScript(`http://127.0.0.1:${stack.uiPort}/`));
      expect(local.stdout.text).toMatch(/^failed/);
      const dns = await run(
        `python3 -c "import socket\ntry:\n  socket.getaddrinfo('example.com', 80); print('RESOLVED')\nexcept Exception as e: print('blocked', type(e).__name__)"`,
      );
      expect(dns.stdout.text).toMatch(/^blocked/);
      expect(seen.some((line) => line.includes('/direct'))).toBe(false);
    });

    it('closes the way out as soon as policy turns the network off', async () => {
      writeManaged({ 'sandbox.network': 'none', 'sandbox.egressHosts': [`${address}:${allowedPort}`] });
      const deadline = Date.now() + 15_000;
      let answer = '';
      while (Date.now() < deadline) {
        answer = (await run(fetchScript(`http://${address}:${allowedPort}/after-off`))).stdout.text;
        if (answer.startsWith('403')) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(answer).toMatch(/^403 Steward's egress policy refuses/);
      writeManaged({ 'sandbox.network': 'proxy', 'sandbox.egressHosts': [`${address}:${allowedPort}`] });
    });

    it('removes the proxy and its socket folder with the sandbox', async () => {
      expect(egressFolders().length).toBeGreaterThan(0);
      await bus.request(vmSandboxClose, { taskId });
      // vm-service keeps a spare for these folders; it may hold its own proxy until it is dropped.
      await stack.cli(['down']);
      expect(egressFolders()).toEqual([]);
    }, 60_000);
  });
}
