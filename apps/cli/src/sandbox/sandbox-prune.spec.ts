import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from './build-lock.js';
import { describePrune, pruneSandbox, scanCache, type PruneReport } from './sandbox-prune.js';

const CURRENT = '0823aa9006b8';
const OLD = '70da1eea9312';
const BUSY = '3f2a9c0d1e4b';

describe('pruneSandbox', () => {
  let root: string;
  let cacheDir: string;
  let dockerSocket: string;
  const children: ChildProcess[] = [];

  function fakeVersion(version: string, bytes: number): string {
    const rootfs = join(cacheDir, version, 'rootfs');
    mkdirSync(join(rootfs, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(rootfs, 'usr', 'bin', 'tool'), 'x'.repeat(bytes));
    symlinkSync('usr/bin', join(rootfs, 'bin'));
    return rootfs;
  }

  function writePointer(version: string): void {
    writeFileSync(
      join(cacheDir, 'current.json'),
      JSON.stringify({
        version,
        office: false,
        rootfs: join(cacheDir, version, 'rootfs'),
        dockerImage: `steward-sandbox:${version}`,
        env: { PATH: '/usr/bin:/bin' },
        manifest: join(cacheDir, version, 'manifest.json'),
      }),
    );
  }

  async function longLived(args: string[]): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], {
      stdio: 'ignore',
    });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child;
  }

  const run = (dryRun: boolean): Promise<PruneReport> =>
    pruneSandbox({ cacheDir, dockerSocket, dryRun }, () => undefined);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'steward-prune-spec-'));
    cacheDir = join(root, 'cache');
    // No engine listens here, so Docker is reported as unavailable.
    dockerSocket = join(root, 'docker.sock');
    mkdirSync(cacheDir);
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('removes the versions current.json does not name and the leftovers of builds, and counts their bytes', async () => {
    fakeVersion(CURRENT, 10);
    fakeVersion(OLD, 5000);
    mkdirSync(join(cacheDir, `.build-${BUSY}-99`, 'rootfs'), { recursive: true });
    mkdirSync(join(cacheDir, 'agent-abc'));
    writePointer(CURRENT);

    const report = await run(false);

    expect(report.removed.map((item) => item.name)).toEqual([`.build-${BUSY}-99`, OLD]);
    expect(report.kept).toEqual([
      expect.objectContaining({ type: 'folder', name: CURRENT, reason: 'current' }),
    ]);
    expect(report.freedBytes).toBeGreaterThanOrEqual(5000);
    expect(report.docker).toEqual({ status: 'unavailable', socket: dockerSocket });
    expect(readdirSync(cacheDir).sort()).toEqual([CURRENT, 'agent-abc', 'current.json']);
  });

  it('with dryRun reports the same and removes nothing', async () => {
    fakeVersion(CURRENT, 10);
    fakeVersion(OLD, 5000);
    writePointer(CURRENT);

    const dry = await run(true);
    expect(existsSync(join(cacheDir, OLD))).toBe(true);
    const real = await run(false);
    expect({ ...dry, dryRun: false }).toEqual(real);
  });

  it('keeps a version a running sandbox binds, with the pid as the reason', async () => {
    fakeVersion(CURRENT, 10);
    const rootfs = fakeVersion(BUSY, 10);
    writePointer(CURRENT);
    const sandbox = await longLived(['--ro-bind', rootfs, '/']);

    const report = await run(false);

    expect(report.removed).toEqual([]);
    const kept = report.kept.find((item) => item.name === BUSY);
    expect(kept).toMatchObject({ reason: 'in-use', processes: [{ pid: sandbox.pid, how: 'sandbox' }] });
    expect(existsSync(rootfs)).toBe(true);
    expect(describePrune(report)).toContain('Nothing to prune.');
  });

  it('fails with a typed error, removing nothing, while a build holds the lock', async () => {
    fakeVersion(CURRENT, 10);
    fakeVersion(OLD, 10);
    writePointer(CURRENT);
    const builder = await longLived([]);
    writeFileSync(join(cacheDir, LOCK_FILE), `${builder.pid}\n`);

    for (const dryRun of [true, false]) {
      await expect(run(dryRun)).rejects.toMatchObject({
        name: 'StewardError',
        code: 'UNAVAILABLE',
        message: expect.stringContaining(`pid ${builder.pid}`),
      });
    }
    expect(existsSync(join(cacheDir, OLD))).toBe(true);
  });

  it('refuses to guess which version is current when current.json is missing', async () => {
    fakeVersion(OLD, 10);
    await expect(run(false)).rejects.toMatchObject({ name: 'StewardError', code: 'NOT_FOUND' });
    expect(existsSync(join(cacheDir, OLD))).toBe(true);
  });

  it('has nothing to prune in a cache that does not exist or holds no image', async () => {
    rmSync(cacheDir, { recursive: true });
    const missing = await run(false);
    expect(missing).toMatchObject({ current: null, removed: [], freedBytes: 0 });
    expect(describePrune(missing)).toEqual([`Nothing to prune: ${cacheDir} holds no sandbox image.`]);
    mkdirSync(cacheDir);
    expect((await run(false)).current).toBeNull();
  });
});

describe('scanCache', () => {
  it('lists version folders and build leftovers, never symlinks, files or folders it does not know', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'steward-scan-spec-'));
    try {
      mkdirSync(join(cacheDir, OLD));
      mkdirSync(join(cacheDir, `.old-${OLD}-5`));
      mkdirSync(join(cacheDir, 'agent-0123'));
      mkdirSync(join(cacheDir, 'ABCDEF012345'));
      writeFileSync(join(cacheDir, CURRENT), '');
      symlinkSync('/usr', join(cacheDir, BUSY));
      expect(scanCache(cacheDir).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: `.old-${OLD}-5`, path: join(cacheDir, `.old-${OLD}-5`), kind: 'leftover' },
        { name: OLD, path: join(cacheDir, OLD), kind: 'version' },
      ]);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('describePrune', () => {
  const base: PruneReport = {
    cacheDir: '/cache',
    dryRun: false,
    current: {
      version: CURRENT,
      rootfs: `/cache/${CURRENT}/rootfs`,
      dockerImage: `steward-sandbox:${CURRENT}`,
    },
    removed: [
      { type: 'folder', name: OLD, path: `/cache/${OLD}`, kind: 'version', bytes: 1_011_685_836 },
      {
        type: 'image',
        name: 'steward-sandbox:prunetest000',
        id: 'sha256:aa',
        tags: ['steward-sandbox:prunetest000'],
        untagOnly: true,
        bytes: 0,
      },
    ],
    kept: [
      {
        type: 'folder',
        name: BUSY,
        path: `/cache/${BUSY}`,
        kind: 'version',
        reason: 'in-use',
        detail: 'in use: pid 42 (bwrap) binds it as a sandbox',
      },
    ],
    failed: [],
    docker: { status: 'checked' },
    freedBytes: 1_011_685_836,
  };

  it('lists what went with its size, what stayed with its reason, and the space freed', () => {
    expect(describePrune(base)).toEqual([
      `Sandbox cache /cache (current: ${CURRENT}, steward-sandbox:${CURRENT})`,
      `  removed      folder ${OLD}  1.01 GB`,
      '  removed      image  steward-sandbox:prunetest000  0 B (only the name: the image stays under another)',
      `  kept         folder ${BUSY}: in use: pid 42 (bwrap) binds it as a sandbox`,
      'Freed 1.01 GB.',
    ]);
  });

  it('says a dry run removed nothing, and when Docker was not checked', () => {
    const lines = describePrune({
      ...base,
      dryRun: true,
      docker: { status: 'unavailable', socket: '/var/run/docker.sock' },
    });
    expect(lines[1]).toBe(`  would remove folder ${OLD}  1.01 GB`);
    expect(lines).toContain(
      'No Docker engine answers at /var/run/docker.sock, so Docker images were not checked.',
    );
    expect(lines.at(-1)).toBe('Would free 1.01 GB; nothing was removed (--dry-run).');
  });
});
