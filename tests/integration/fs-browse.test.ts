import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsRootsBrowse, MAX_BROWSE_FOLDERS, type RpcResponse } from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { busAs, failure } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/tasks.js';

/*
 * The folder dialog's listing (fs.roots.browse), through the real bus as the `ui` user and through
 * `GET /api/folders/browse`: subfolders only, within what managed policy allows, never Steward's own
 * home, never through a link that leads elsewhere.
 */

type Listing = RpcResponse<typeof fsRootsBrowse>;
const isRoot = process.getuid?.() === 0;

describe('browsing folders to connect', () => {
  let stack: Stack;
  let ui: BusClient;
  let managed: string;
  let base: string;
  let outside: string;

  const writeManaged = (settings: Record<string, unknown>): void => {
    const temp = join(managed, '.managed-settings.json.tmp');
    writeFileSync(temp, JSON.stringify(settings), { mode: 0o644 });
    renameSync(temp, join(managed, 'managed-settings.json'));
  };
  const browse = (path?: string): Promise<Listing> =>
    ui.request(fsRootsBrowse, path === undefined ? {} : { path });
  const names = (listing: Listing): string[] => listing.folders.map((folder) => folder.name);
  /** Waits until fs-service answers under the policy just written. */
  const underPolicy = (check: () => Promise<boolean>): Promise<true> =>
    eventually(
      async () => ((await check()) ? true : undefined),
      'fs-service to apply the new policy',
      15_000,
    );

  beforeAll(async () => {
    managed = mkdtempSync(join(tmpdir(), 'steward-managed-'));
    writeManaged({});
    base = realpathSync(mkdtempSync(join(tmpdir(), 'steward-browse-')));
    outside = realpathSync(mkdtempSync(join(tmpdir(), 'steward-browse-outside-')));
    for (const name of ['Beta', 'alpha', '.git', '10-ten', '9-nine', 'inside-target']) {
      mkdirSync(join(base, name));
    }
    writeFileSync(join(base, 'file.txt'), 'a file, not a folder\n');
    mkdirSync(join(outside, 'private'));
    symlinkSync(join(base, 'inside-target'), join(base, 'link-inside'));
    symlinkSync(outside, join(base, 'link-outside'));
    symlinkSync(join(base, 'file.txt'), join(base, 'link-to-file'));
    stack = await startStack({ env: { STEWARD_MANAGED_SETTINGS_DIR: managed } });
    symlinkSync(stack.home, join(base, 'link-to-steward-home'));
    ui = await busAs(stack, 'ui');
  });

  afterAll(async () => {
    await ui?.close();
    await stack?.stop();
    for (const dir of [managed, base, outside]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the subfolders of a folder, sorted by name, hidden ones flagged, with its parent', async () => {
    const listing = await browse(base);
    expect(listing.path).toBe(base);
    expect(listing.root).toBe('/');
    expect(listing.parent).toBe(realpathSync(tmpdir()));
    expect(listing.connectable).toBe(true);
    expect(listing.more).toBe(0);
    // Files and a link to a file are not folders; a link out of bounds or into Steward's home is
    // left out (here nothing is out of bounds but Steward's home: policy allows every folder).
    expect(names(listing)).toEqual([
      '.git',
      '9-nine',
      '10-ten',
      'alpha',
      'Beta',
      'inside-target',
      'link-inside',
      'link-outside',
    ]);
    expect(listing.folders.find((folder) => folder.name === '.git')).toEqual({
      name: '.git',
      path: join(base, '.git'),
      hidden: true,
      link: false,
    });
    // A link is listed where it leads, so browsing on never walks through the link again.
    expect(listing.folders.find((folder) => folder.name === 'link-inside')).toEqual({
      name: 'link-inside',
      path: join(base, 'inside-target'),
      hidden: false,
      link: true,
    });
  });

  it('answers the page at GET /api/folders/browse, and starts at the home folder when no path is given', async () => {
    const res = await stack.api(`/api/folders/browse?path=${encodeURIComponent(base)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await browse(base));

    const start = (await (await stack.api('/api/folders/browse')).json()) as Listing;
    expect(start.path).toBe(realpathSync(homedir()));
    expect(start.connectable).toBe(true);
  });

  it("never lists Steward's own home, whether asked directly or through a link", async () => {
    for (const path of [stack.home, join(stack.home, 'run'), join(base, 'link-to-steward-home')]) {
      const error = await failure(browse(path));
      expect(error.code).toBe('DENIED_BY_POLICY');
      expect(error.message).toContain("Steward's own home");
    }
    const res = await stack.api(`/api/folders/browse?path=${encodeURIComponent(stack.home)}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DENIED_BY_POLICY');
    expect(names(await browse(base))).not.toContain('link-to-steward-home');
  });

  it('refuses what is not a folder it can list, with a typed error', async () => {
    expect((await failure(browse(join(base, 'file.txt')))).code).toBe('INVALID_INPUT');
    expect((await failure(browse(join(base, 'missing')))).code).toBe('NOT_FOUND');
    for (const query of ['relative/path', '~/Documents', `${base}/%2e%2e/%2e%2e/etc`]) {
      const res = await stack.api(`/api/folders/browse?path=${encodeURIComponent(query)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    }
  });

  it.skipIf(isRoot)('answers FORBIDDEN for a folder the operating system does not let it read', async () => {
    const locked = join(base, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    try {
      expect((await failure(browse(locked))).code).toBe('FORBIDDEN');
    } finally {
      chmodSync(locked, 0o700);
      rmSync(locked, { recursive: true });
    }
  });

  it('caps a huge folder and counts the rest', async () => {
    const huge = join(base, 'huge');
    mkdirSync(huge);
    for (let index = 0; index < MAX_BROWSE_FOLDERS + 37; index += 1) {
      mkdirSync(join(huge, `f${String(index).padStart(4, '0')}`));
    }
    const listing = await browse(huge);
    expect(listing.folders).toHaveLength(MAX_BROWSE_FOLDERS);
    expect(listing.more).toBe(37);
    expect(listing.folders[0]?.name).toBe('f0000');
    rmSync(huge, { recursive: true });
  });

  describe('when managed policy allows only some folders', () => {
    let second: string;

    beforeAll(async () => {
      second = realpathSync(mkdtempSync(join(tmpdir(), 'steward-browse-second-')));
      writeManaged({ 'folders.allowed': [base] });
      await underPolicy(async () => (await browse()).path === base);
    });
    afterAll(() => {
      writeManaged({});
      if (second) rmSync(second, { recursive: true, force: true });
    });

    it('starts in the one allowed folder, and offers nothing above it', async () => {
      const listing = await browse();
      expect(listing.path).toBe(base);
      expect(listing.root).toBe(base);
      expect(listing.parent).toBeUndefined();
      expect(listing.connectable).toBe(true);
    });

    it('refuses a folder outside the allowlist', async () => {
      for (const path of [outside, join(outside, 'private'), realpathSync(tmpdir()), '/']) {
        expect((await failure(browse(path))).code).toBe('DENIED_BY_POLICY');
      }
      const res = await stack.api(`/api/folders/browse?path=${encodeURIComponent(outside)}`);
      expect(res.status).toBe(403);
    });

    it('does not follow a link that leads out of the allowed folders', async () => {
      const listing = await browse(base);
      expect(names(listing)).toContain('link-inside');
      expect(names(listing)).not.toContain('link-outside');
      const error = await failure(browse(join(base, 'link-outside')));
      expect(error.code).toBe('OUTSIDE_ROOT');
      expect(error.message).toBe(`${join(base, 'link-outside')} leads outside the folders you may connect`);
      // Nor one swapped in after the listing: the walk judges the link when it meets it.
      rmSync(join(base, 'alpha'), { recursive: true });
      symlinkSync(outside, join(base, 'alpha'));
      try {
        expect((await failure(browse(join(base, 'alpha')))).code).toBe('OUTSIDE_ROOT');
        expect((await failure(browse(join(base, 'alpha', 'private')))).code).toBe('OUTSIDE_ROOT');
      } finally {
        rmSync(join(base, 'alpha'));
        mkdirSync(join(base, 'alpha'));
      }
    });

    it('starts from the list of allowed folders when there are several, which cannot be chosen itself', async () => {
      writeManaged({ 'folders.allowed': [base, second, join(outside, 'does-not-exist')] });
      await underPolicy(async () => (await browse()).path === undefined);
      const start = await browse();
      expect(start.folders.map((folder) => folder.path)).toHaveLength(2);
      expect(start.folders.map((folder) => folder.path)).toEqual(expect.arrayContaining([base, second]));
      expect(start.connectable).toBe(false);
      expect(start.reason).toMatch(/allows/);
      expect((await browse(second)).path).toBe(second);
      expect((await failure(browse(outside))).code).toBe('DENIED_BY_POLICY');
    });
  });
});
