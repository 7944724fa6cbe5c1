import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isShrinkable, shrinkRootfs, treeSize } from './rootfs-build.js';

describe('isShrinkable', () => {
  it('drops documentation but keeps each package’s licence', () => {
    expect(isShrinkable('usr/share/doc/python3/changelog.Debian.gz')).toBe(true);
    expect(isShrinkable('usr/share/doc/python3/copyright')).toBe(false);
  });

  it('drops man pages, translations, package lists, apt caches, logs and old dpkg/debconf copies', () => {
    for (const path of [
      'usr/share/man/man1/ls.1.gz',
      'usr/share/info/grep.info.gz',
      'usr/share/locale/de/LC_MESSAGES/coreutils.mo',
      'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease',
      'var/cache/apt/pkgcache.bin',
      'var/cache/apt/archives/python3_3.11.2-1_amd64.deb',
      'var/log/dpkg.log',
      'var/cache/debconf/templates.dat-old',
      'var/lib/dpkg/status-old',
      'tmp/steward-verify.png',
    ])
      expect(isShrinkable(path), path).toBe(true);
  });

  it('keeps what programs need at run time', () => {
    for (const path of [
      'usr/lib/python3/dist-packages/pandas/__init__.py',
      'usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
      'var/lib/dpkg/status',
      'var/cache/debconf/templates.dat',
      'opt/steward/node/node_modules/docx/dist/index.cjs',
      'opt/steward/mpl/fontlist-v330.json',
      'usr/lib/locale/C.utf8/LC_CTYPE',
    ])
      expect(isShrinkable(path), path).toBe(false);
  });

  it('drops source maps and type declarations of the npm libraries only', () => {
    expect(isShrinkable('opt/steward/node/node_modules/docx/dist/index.cjs.map')).toBe(true);
    expect(isShrinkable('opt/steward/node/node_modules/docx/dist/index.d.cts')).toBe(true);
    expect(isShrinkable('usr/share/nodejs/acorn/dist/acorn.d.ts')).toBe(false);
  });
});

describe('shrinkRootfs and treeSize', () => {
  let root: string;
  let outside: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'steward-rootfs-spec-'));
    outside = mkdtempSync(join(tmpdir(), 'steward-host-spec-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  function file(path: string, content = 'x'): void {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }

  it('empties what a sandbox never reads, keeps the rest, and removes folders left empty', () => {
    file('usr/share/doc/bash/copyright');
    file('usr/share/doc/bash/NEWS.gz');
    file('usr/share/doc/sed/changelog.gz');
    file('usr/share/man/man1/sed.1.gz');
    file('var/lib/apt/lists/InRelease');
    file('usr/bin/python3');
    expect(shrinkRootfs(root)).toBe(4);
    expect(existsSync(join(root, 'usr/share/doc/bash/copyright'))).toBe(true);
    expect(existsSync(join(root, 'usr/share/doc/sed'))).toBe(false);
    expect(existsSync(join(root, 'usr/share/man/man1'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/apt/lists'))).toBe(true);
    expect(existsSync(join(root, 'usr/bin/python3'))).toBe(true);
  });

  it('never follows a link of the image into the host', () => {
    writeFileSync(join(outside, 'precious'), 'host data');
    mkdirSync(join(root, 'usr/share/doc'), { recursive: true });
    symlinkSync(outside, join(root, 'usr/share/doc/python3'));
    symlinkSync(join(outside, 'precious'), join(root, 'usr/share/doc/README'));
    shrinkRootfs(root);
    expect(existsSync(join(outside, 'precious'))).toBe(true);
    expect(existsSync(join(root, 'usr/share/doc/README'))).toBe(false);
  });

  it('counts bytes as du --apparent-size does: a hard-linked file once', () => {
    file('a', 'x'.repeat(1000));
    linkSync(join(root, 'a'), join(root, 'b'));
    file('c', 'y'.repeat(500));
    const withLink = treeSize(root);
    rmSync(join(root, 'b'));
    expect(withLink).toBe(treeSize(root));
    expect(treeSize(root)).toBeGreaterThanOrEqual(1500);
  });
});
