import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, runCli } from '../../../tests/support/stack.js';
import { LOCK_FILE } from '../src/sandbox/build-lock.js';
import { treeSize } from '../src/sandbox/rootfs-build.js';
import type { PruneReport } from '../src/sandbox/sandbox-prune.js';

const CURRENT = 'aaaaaaaaaaaa';
const OLD = 'bbbbbbbbbbbb';
const IN_USE = 'cccccccccccc';
const LEFTOVER = `.build-dddddddddddd-${process.pid}`;

/** Test images: their own repository tags, so cleaning up can never touch a real image. */
const CURRENT_TAG = 'steward-sandbox:prunetestcur';
const SECOND_NAME = 'steward-sandbox:prunetest000';
const USED_TAG = 'steward-sandbox:prunetest001';
const UNUSED_TAG = 'steward-sandbox:prunetest002';
const TEST_LABEL = `org.steward.prunetest=${process.pid}`;

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

const dockerRunning = succeeds('docker', ['info']);

function docker(args: string[], input?: Buffer): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    timeout: 60_000,
    ...(input ? { input } : {}),
  }).trim();
}

const imageExists = (reference: string): boolean => succeeds('docker', ['image', 'inspect', reference]);

/** The parent's environment minus any STEWARD_* setting, so a developer's shell cannot leak in. */
function environment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('STEWARD_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Every path below `dir` with its type and size (links as links): a fingerprint of the tree. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const stat = lstatSync(path);
      const kind = stat.isSymbolicLink()
        ? `-> ${readlinkSync(path)}`
        : stat.isDirectory()
          ? 'dir'
          : stat.size;
      return `${path.slice(dir.length)} ${kind}`;
    })
    .sort();
}

describe('steward sandbox prune', () => {
  let root: string;
  let cacheDir: string;
  let hostFile: string;
  let hostDir: string;
  let sandbox: ChildProcess;
  const started: ChildProcess[] = [];
  /** Tags of Steward images that were in the engine before the test, put back if pruning untagged them. */
  const foreignTags: Array<{ id: string; tag: string }> = [];
  let removableBytes = 0;

  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(['sandbox', 'prune', ...args], environment({ STEWARD_SANDBOX_CACHE: cacheDir, ...extra }));

  async function longLived(args: string[]): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], {
      stdio: 'ignore',
    });
    started.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child;
  }

  /** A small root file system with the links a real one has: relative, absolute into the host. */
  function fakeVersion(dir: string): string {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'usr', 'bin'), { recursive: true });
    mkdirSync(join(rootfs, 'usr', 'lib'), { recursive: true });
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    writeFileSync(join(rootfs, 'usr', 'bin', 'python3'), 'x'.repeat(20_000));
    writeFileSync(join(rootfs, 'usr', 'lib', 'libc.so.6'), 'y'.repeat(30_000));
    symlinkSync('usr/lib', join(rootfs, 'lib'));
    symlinkSync(hostFile, join(rootfs, 'etc', 'hostname'));
    symlinkSync(hostDir, join(rootfs, 'host'));
    writeFileSync(join(dir, 'manifest.json'), '{}\n');
    return rootfs;
  }

  /** A throwaway image of one small file; distinct content gives a distinct image. */
  function importImage(tag: string, content: string): void {
    const tree = mkdtempSync(join(root, 'image-'));
    writeFileSync(join(tree, 'hello.txt'), content);
    const tar = execFileSync('tar', ['-C', tree, '-c', '.']);
    docker(['import', '-', tag], tar);
  }

  /**
   * Keeps the engine's real Steward images out of the test's reach: a stopped container on each
   * makes prune keep it (which the test does not assert on); a tag prune only untags is restored.
   */
  function protectForeignImages(): void {
    const ids = new Set([
      ...docker(['image', 'ls', '--no-trunc', '-q', '--filter', 'reference=steward-sandbox']).split('\n'),
      ...docker([
        'image',
        'ls',
        '--no-trunc',
        '-q',
        '--filter',
        'dangling=true',
        '--filter',
        'label=org.steward.sandbox.version',
      ]).split('\n'),
    ]);
    ids.delete('');
    for (const id of ids) {
      const tags = JSON.parse(docker(['image', 'inspect', '--format', '{{json .RepoTags}}', id])) as
        string[] | null;
      if ((tags ?? []).some((tag) => tag.startsWith('steward-sandbox:prunetest'))) continue;
      foreignTags.push(...(tags ?? []).map((tag) => ({ id, tag })));
      docker(['create', '--label', TEST_LABEL, id, '/steward-prune-guard']);
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI_ENTRY)) throw new Error(`build first: npx tsc -b apps/cli (missing ${CLI_ENTRY})`);
    root = mkdtempSync(join(tmpdir(), 'steward-prune-test-'));
    cacheDir = join(root, 'cache');
    hostDir = join(root, 'host');
    hostFile = join(hostDir, 'hostname');
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(hostFile, 'the host file\n');
    writeFileSync(join(hostDir, 'other'), 'another host file\n');

    fakeVersion(join(cacheDir, CURRENT));
    fakeVersion(join(cacheDir, OLD));
    const inUse = fakeVersion(join(cacheDir, IN_USE));
    mkdirSync(join(cacheDir, LEFTOVER, 'rootfs', 'var'), { recursive: true });
    writeFileSync(join(cacheDir, LEFTOVER, 'rootfs', 'var', 'half'), 'z'.repeat(5_000));
    mkdirSync(join(cacheDir, 'agent-0123456789ab'));
    writeFileSync(join(cacheDir, 'agent-0123456789ab', 'agent.mjs'), '');
    writeFileSync(
      join(cacheDir, 'current.json'),
      JSON.stringify({
        version: CURRENT,
        office: false,
        rootfs: join(cacheDir, CURRENT, 'rootfs'),
        dockerImage: CURRENT_TAG,
        env: { PATH: '/usr/bin:/bin' },
        manifest: join(cacheDir, CURRENT, 'manifest.json'),
      }),
    );
    removableBytes = treeSize(join(cacheDir, OLD)) + treeSize(join(cacheDir, LEFTOVER));
    // What vm-service's bubblewrap keeps on its command line for a sandbox's whole life.
    sandbox = await longLived(['--die-with-parent', '--ro-bind', inUse, '/', '--proc', '/proc']);

    if (dockerRunning) {
      protectForeignImages();
      importImage(CURRENT_TAG, 'current');
      docker(['tag', CURRENT_TAG, SECOND_NAME]);
      importImage(USED_TAG, 'used by a stopped container');
      docker(['create', '--label', TEST_LABEL, '--name', `steward-prunetest-${process.pid}`, USED_TAG, '/x']);
      importImage(UNUSED_TAG, 'unused');
    }
  }, 120_000);

  afterAll(() => {
    for (const child of started) child.kill('SIGKILL');
    if (dockerRunning) {
      const containers = docker(['container', 'ls', '--all', '-q', '--filter', `label=${TEST_LABEL}`]);
      if (containers !== '') docker(['container', 'rm', '--force', ...containers.split('\n')]);
      for (const tag of [SECOND_NAME, USED_TAG, UNUSED_TAG, CURRENT_TAG])
        succeeds('docker', ['image', 'rm', tag]);
      for (const { id, tag } of foreignTags) if (!imageExists(tag)) succeeds('docker', ['tag', id, tag]);
    }
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('with --dry-run reports what it would remove and keep, and changes nothing', async () => {
    const before = snapshot(cacheDir);
    const result = await cli(['--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as PruneReport;

    expect(report.dryRun).toBe(true);
    expect(report.removed.filter((item) => item.type === 'folder').map((item) => item.name)).toEqual([
      LEFTOVER,
      OLD,
    ]);
    expect(report.kept).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'folder', name: CURRENT, reason: 'current' }),
        expect.objectContaining({
          type: 'folder',
          name: IN_USE,
          reason: 'in-use',
          processes: [{ pid: sandbox.pid, program: 'node', how: 'sandbox' }],
        }),
      ]),
    );
    expect(snapshot(cacheDir)).toEqual(before);

    const human = await cli(['--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`would remove folder ${OLD}`);
    expect(human.stdout).toMatch(new RegExp(`kept +folder ${IN_USE}: in use: pid ${sandbox.pid} \\(node\\)`));
    expect(human.stdout).toMatch(/Would free .*; nothing was removed \(--dry-run\)\./);
    expect(snapshot(cacheDir)).toEqual(before);
  });

  it('fails with a clear error, removing nothing, while a build holds the lock', async () => {
    const builder = await longLived([]);
    writeFileSync(join(cacheDir, LOCK_FILE), `${builder.pid}\n`);
    try {
      const before = snapshot(cacheDir);
      const result = await cli([]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`a build of the sandbox image (pid ${builder.pid}) holds`);
      expect(snapshot(cacheDir)).toEqual(before);
    } finally {
      rmSync(join(cacheDir, LOCK_FILE), { force: true });
      builder.kill('SIGKILL');
    }
  });

  it('removes the old version and the build leftover, keeps the current and the in-use ones, and never follows a link out of the cache', async () => {
    const result = await cli(['--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as PruneReport;

    const folders = report.removed.filter((item) => item.type === 'folder');
    expect(folders.map((item) => item.name)).toEqual([LEFTOVER, OLD]);
    expect(folders.reduce((sum, item) => sum + item.bytes, 0)).toBe(removableBytes);
    expect(report.freedBytes).toBe(report.removed.reduce((sum, item) => sum + item.bytes, 0));
    expect(readdirSync(cacheDir).sort()).toEqual([CURRENT, 'agent-0123456789ab', IN_USE, 'current.json']);
    expect(existsSync(join(cacheDir, CURRENT, 'rootfs', 'usr', 'bin', 'python3'))).toBe(true);
    expect(existsSync(join(cacheDir, IN_USE, 'rootfs', 'usr', 'bin', 'python3'))).toBe(true);
    expect(readFileSync(hostFile, 'utf8')).toBe('the host file\n');
    expect(readFileSync(join(hostDir, 'other'), 'utf8')).toBe('another host file\n');
  });

  it('says there is nothing to prune when only what is current or in use is left', async () => {
    const result = await cli([]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`kept         folder ${IN_USE}: in use: pid ${sandbox.pid}`);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Nothing to prune.');
  });

  it('removes a version once the sandbox using it has ended', async () => {
    sandbox.kill('SIGKILL');
    await new Promise((resolve) => sandbox.once('exit', resolve));
    const result = await cli(['--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as PruneReport;
    expect(report.removed.map((item) => item.name)).toEqual([IN_USE]);
    expect(existsSync(join(cacheDir, IN_USE))).toBe(false);
    expect(readFileSync(hostFile, 'utf8')).toBe('the host file\n');
  });

  it('says so when no Docker engine answers', async () => {
    const result = await cli([], { DOCKER_HOST: `unix://${join(root, 'no-engine.sock')}` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `No Docker engine answers at ${join(root, 'no-engine.sock')}, so Docker images were not checked.`,
    );
  });

  describe.skipIf(!dockerRunning)('with a Docker engine', () => {
    it('removes other steward-sandbox images, keeps the current tag and an image a stopped container uses', async () => {
      importImage(UNUSED_TAG, 'unused, again');
      docker(['tag', CURRENT_TAG, SECOND_NAME]);
      const dry = JSON.parse((await cli(['--dry-run', '--json'])).stdout) as PruneReport;
      expect(dry.docker).toEqual({ status: 'checked' });
      expect(imageExists(SECOND_NAME) && imageExists(UNUSED_TAG)).toBe(true);

      const result = await cli(['--json']);
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as PruneReport;
      // Other stacks' sandboxes on this engine come and go between the two runs: which containers
      // use the current image is not part of what the dry run must predict.
      const settled = (of: PruneReport) => ({
        ...of,
        kept: of.kept.map(({ containers: _containers, detail: _detail, ...item }) => item),
      });
      expect(settled({ ...dry, dryRun: false })).toEqual(settled(report));

      const images = report.removed.filter((item) => item.type === 'image');
      expect(images).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ tags: [SECOND_NAME], untagOnly: true, bytes: 0 }),
          expect.objectContaining({ tags: [UNUSED_TAG], untagOnly: false }),
        ]),
      );
      expect(images.find((item) => item.name === UNUSED_TAG)?.bytes).toBeGreaterThan(0);
      expect(report.kept).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'image', tags: [CURRENT_TAG], reason: 'current' }),
          expect.objectContaining({
            type: 'image',
            tags: [USED_TAG],
            reason: 'container',
            detail: `used by container steward-prunetest-${process.pid} (created)`,
          }),
        ]),
      );
      expect(imageExists(SECOND_NAME)).toBe(false);
      expect(imageExists(UNUSED_TAG)).toBe(false);
      expect(imageExists(CURRENT_TAG)).toBe(true);
      expect(imageExists(USED_TAG)).toBe(true);
    });
  });
});
