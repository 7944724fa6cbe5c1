import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI_ENTRY,
  freePorts,
  runCli,
  SERVICES,
  startStack,
  type Stack,
} from '../../../tests/support/stack.js';

const ALL_PROCESSES = ['supervisor', 'nats-server', ...SERVICES];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** A fresh temp home with its own ports, for tests that need no running stack. */
async function scratchEnv(): Promise<{ env: Record<string, string>; home: string; ports: number[] }> {
  const home = mkdtempSync(join(tmpdir(), 'steward-cli-test-'));
  const ports = await freePorts(2);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('STEWARD_'),
    ),
  );
  return {
    home,
    ports,
    env: {
      ...env,
      STEWARD_HOME: home,
      STEWARD_PORT: String(ports[0]),
      STEWARD_NATS_PORT: String(ports[1]),
      STEWARD_METRICS_PORT_BASE: '0',
    },
  };
}

beforeAll(() => {
  if (!existsSync(CLI_ENTRY))
    throw new Error(`build first: npx tsc -b tsconfig.build.json (missing ${CLI_ENTRY})`);
});

describe('steward up / status / down on one stack', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('up --detach brings all six services to ok and prints the address with the token', async () => {
    expect(stack.upOutput.stdout).toContain(
      `Steward is running: http://127.0.0.1:${stack.uiPort}/?token=${stack.token}`,
    );
    expect(stack.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const health = (await (await fetch(`${stack.url}/api/health`)).json()) as {
      status: string;
      services: Record<string, { status: string }>;
    };
    expect(health.status).toBe('ok');
    for (const service of SERVICES) expect(health.services[service]?.status).toBe('ok');
    for (const name of ALL_PROCESSES) expect(alive(stack.pid(name) ?? -1), name).toBe(true);
  });

  it('keeps its secrets private: home 0700, credentials and token 0600, one bus user per service', () => {
    expect(statSync(stack.home).mode & 0o777).toBe(0o700);
    for (const file of [
      'run/ui-token',
      'run/nats-server.conf',
      ...SERVICES.map((s) => `run/nats/${s}.json`),
    ]) {
      expect(statSync(join(stack.home, file)).mode & 0o777, file).toBe(0o600);
    }
    const passwords = SERVICES.map((service) => {
      const credentials = stack.credentials(service);
      expect(credentials.user).toBe(service);
      expect(credentials.servers).toBe(`nats://127.0.0.1:${stack.natsPort}`);
      return credentials.pass;
    });
    expect(new Set(passwords).size).toBe(SERVICES.length);
  });

  it('generates a server config nats-server itself accepts', () => {
    expect(() =>
      execFileSync('nats-server', ['-t', '-c', join(stack.home, 'run', 'nats-server.conf')], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it('status exits 0 and shows every process alive and ok', async () => {
    const result = await stack.cli(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as {
      status: string;
      processes: Array<{ name: string; pid: number; alive: boolean; health: string }>;
    };
    expect(status.status).toBe('ok');
    expect(status.processes.map((p) => p.name)).toEqual(ALL_PROCESSES);
    for (const p of status.processes) {
      expect(p.alive, p.name).toBe(true);
      expect(p.pid).toBe(stack.pid(p.name));
    }
    const text = await stack.cli(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(': ok');
  });

  it('refuses a second up for the same home and prints the running address', async () => {
    const result = await stack.cli(['up', '--detach']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('already running');
    expect(result.stderr).toContain(`http://127.0.0.1:${stack.uiPort}/?token=${stack.token}`);
  });

  it('restarts a service killed with SIGKILL under a new pid, and health returns to ok', async () => {
    const before = stack.pid('orchestrator')!;
    process.kill(before, 'SIGKILL');
    expect(
      await eventually(() => {
        const now = stack.pid('orchestrator');
        return now !== undefined && now !== before && alive(now);
      }, 15_000),
    ).toBe(true);
    await stack.waitHealthy(60_000);
    const details = (await (await stack.api('/api/health/details')).json()) as {
      services: Record<string, { report?: { pid: number } }>;
    };
    expect(details.services['orchestrator']?.report?.pid).toBe(stack.pid('orchestrator'));
  }, 90_000);

  it('restarts a killed nats-server, and every service reconnects and reports ok', async () => {
    const servicePids = SERVICES.map((s) => stack.pid(s));
    const before = stack.pid('nats-server')!;
    process.kill(before, 'SIGKILL');
    expect(
      await eventually(() => {
        const now = stack.pid('nats-server');
        return now !== undefined && now !== before && alive(now);
      }, 15_000),
    ).toBe(true);
    expect(await eventually(() => accepts(stack.natsPort), 15_000)).toBe(true);
    await stack.waitHealthy(60_000);
    // Reconnected, not restarted: the services kept their processes.
    expect(SERVICES.map((s) => stack.pid(s))).toEqual(servicePids);
  }, 90_000);

  it('down stops every process, closes both ports, and is idempotent', async () => {
    const pids = ALL_PROCESSES.map((name) => stack.pid(name)!);
    const down = await stack.cli(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('Stopped Steward');
    for (const [i, pid] of pids.entries()) expect(alive(pid), `${ALL_PROCESSES[i]} (pid ${pid})`).toBe(false);
    expect(await accepts(stack.uiPort)).toBe(false);
    expect(await accepts(stack.natsPort)).toBe(false);
    for (const name of ALL_PROCESSES) expect(stack.pid(name), name).toBeUndefined();

    const status = await stack.cli(['status']);
    expect(status.code).toBe(3);
    const again = await stack.cli(['down']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not running');
  }, 60_000);
});

describe('two stacks side by side', () => {
  it('are both healthy and do not touch each other', async () => {
    const [a, b] = await Promise.all([startStack(), startStack()]);
    try {
      expect(a.uiPort).not.toBe(b.uiPort);
      expect(a.token).not.toBe(b.token);
      expect(a.credentials('ui').pass).not.toBe(b.credentials('ui').pass);
      await Promise.all([a.waitHealthy(), b.waitHealthy()]);
      // A's token means nothing to B.
      expect(
        (await fetch(`${b.url}/api/health/details`, { headers: { authorization: `Bearer ${a.token}` } }))
          .status,
      ).toBe(401);

      const bPids = ALL_PROCESSES.map((name) => b.pid(name)!);
      await a.stop();
      expect(bPids.every(alive)).toBe(true);
      await b.waitHealthy(10_000);
      expect((await b.cli(['status'])).code).toBe(0);

      // Without its supervisor, B's processes are leftovers that down must still find and stop.
      process.kill(b.pid('supervisor')!, 'SIGKILL');
      expect(await eventually(() => !alive(bPids[0]!), 5_000)).toBe(true);
      const degraded = await b.cli(['status']);
      expect(degraded.code).toBe(1);
      expect(degraded.stdout).toContain('nothing restarts a service');
      const down = await b.cli(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toContain('outlived their supervisor');
      for (const pid of bPids) expect(alive(pid)).toBe(false);
      expect(await accepts(b.uiPort)).toBe(false);
      expect(await accepts(b.natsPort)).toBe(false);
    } finally {
      await Promise.allSettled([a.stop(), b.stop()]);
    }
  }, 180_000);
});

describe('safety without a running stack', () => {
  it('down never signals an unrelated process whose pid is in a stale pid file', async () => {
    const { env, home } = await scratchEnv();
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => stranger.once('spawn', resolve));
      mkdirSync(join(home, 'run'), { recursive: true });
      writeFileSync(join(home, 'run', 'supervisor.pid'), `${stranger.pid}\n`);
      writeFileSync(join(home, 'run', 'ui.pid'), `${stranger.pid}\n`);
      const result = await runCli(['down'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('not running');
      expect(alive(stranger.pid!)).toBe(true);
      expect(existsSync(join(home, 'run', 'ui.pid'))).toBe(false);
    } finally {
      stranger.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('up refuses to start when the UI port is taken by another program', async () => {
    const { env, home, ports } = await scratchEnv();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports[0], '127.0.0.1', resolve));
    try {
      const result = await runCli(['up', '--detach'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${ports[0]} (the UI) is already in use`);
      expect(existsSync(join(home, 'run', 'supervisor.pid'))).toBe(false);
    } finally {
      squatter.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('rejects unknown commands and flags with exit code 2', async () => {
    const { env, home } = await scratchEnv();
    try {
      const unknown = await runCli(['launch'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown command "launch"');
      const flag = await runCli(['down', '--force'], env);
      expect(flag.code).toBe(2);
      expect((await runCli(['status'], env)).code).toBe(3);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
