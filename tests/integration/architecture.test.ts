import { execFileSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SERVICE_NAMES,
  allowedPublications,
  BUS_GRANTS,
  subjectMatches,
  type Capabilities,
} from '@steward/contracts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SERVICES = SERVICE_NAMES;

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${file}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries and OS powers are enforced by lint', () => {
  beforeAll(() => {
    // The boundary rule needs Nx's project graph; computing it is what `npm run lint` does first.
    execFileSync('npx', ['nx', 'show', 'projects'], {
      cwd: ROOT,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: 'ignore',
    });
  }, 120_000);

  it('an app importing another app is refused', async () => {
    const messages = await lint('apps/orchestrator/src/probe.ts', "import '@steward/app-fs-service';\n");
    expect(messages.some((m) => m.startsWith('@nx/enforce-module-boundaries'))).toBe(true);
  });

  it('contracts may not depend on any other library', async () => {
    const messages = await lint('libs/contracts/src/probe.ts', "import '@steward/messaging';\n");
    expect(messages.some((m) => m.startsWith('@nx/enforce-module-boundaries'))).toBe(true);
  });

  it('a service may use the shared libraries', async () => {
    const messages = await lint(
      'apps/scheduler/src/probe.ts',
      "import { runService } from '@steward/runtime';\nexport const run = runService;\n",
    );
    expect(messages).toEqual([]);
  });

  it.each([
    ['apps/orchestrator/src/probe.ts', 'node:fs'],
    ['apps/ui/src/probe.ts', 'node:fs/promises'],
    ['apps/orchestrator/src/probe.ts', 'node:child_process'],
    ['apps/fs-service/src/probe.ts', 'node:child_process'],
    ['apps/plugin-host/src/probe.ts', 'dockerode'],
    ['apps/scheduler/src/probe.ts', '@nats-io/transport-node'],
  ])('%s may not import %s', async (file, module) => {
    const messages = await lint(file, `import '${module}';\n`);
    expect(messages.some((m) => m.startsWith('no-restricted-imports'))).toBe(true);
  });

  it.each([
    ['apps/fs-service/src/probe.ts', 'node:fs/promises'],
    ['apps/vm-service/src/probe.ts', 'node:child_process'],
    ['apps/plugin-host/src/probe.ts', 'node:child_process'],
  ])('%s holds the power to import %s', async (file, module) => {
    expect(await lint(file, `import '${module}';\n`)).toEqual([]);
  });

  it('only libs/config reads process.env', async () => {
    const code = 'export const home = process.env.HOME;\n';
    expect(
      (await lint('apps/orchestrator/src/probe.ts', code)).some((m) =>
        m.startsWith('no-restricted-properties'),
      ),
    ).toBe(true);
    expect(await lint('libs/config/src/probe.ts', code)).toEqual([]);
  });
});

describe('each service’s capabilities.ts matches the bus grants', () => {
  it.each(SERVICES)('%s serves, calls and emits only what nats-server will let it', async (service) => {
    const { capabilities } = (await import(`${ROOT}apps/${service}/dist/capabilities.js`)) as {
      capabilities: Capabilities;
    };
    expect(capabilities.service).toBe(service);
    for (const rpc of capabilities.serves) {
      expect(BUS_GRANTS[service].serves.some((p) => subjectMatches(p, rpc.subject))).toBe(true);
    }
    for (const rpc of capabilities.calls) {
      expect(allowedPublications(service).some((p) => subjectMatches(p, rpc.subject))).toBe(true);
    }
    for (const subject of capabilities.emits) {
      expect(allowedPublications(service)).toContain(subject);
    }
  });

  it('only fs-service holds user files, only vm-service the Docker engine, only ui an HTTP listener', async () => {
    const holders = async (power: string): Promise<string[]> => {
      const result: string[] = [];
      for (const service of SERVICES) {
        const { capabilities } = (await import(`${ROOT}apps/${service}/dist/capabilities.js`)) as {
          capabilities: Capabilities;
        };
        if ((capabilities.osPowers as readonly string[]).includes(power)) result.push(service);
      }
      return result;
    };
    expect(await holders('user-files')).toEqual(['fs-service']);
    expect(await holders('docker-engine')).toEqual(['vm-service']);
    expect(await holders('http-listen')).toEqual(['ui']);
    expect((await holders('spawn-processes')).sort()).toEqual(['plugin-host', 'vm-service']);
  });
});
