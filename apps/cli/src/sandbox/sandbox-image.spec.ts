import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStewardError } from '@steward/contracts';
import {
  BASE_PACKAGES,
  OFFICE_PACKAGES,
  findBuiltSandbox,
  parseSandboxManifest,
  pointerFor,
  readSandboxManifest,
  readSandboxPointer,
  sandboxPaths,
  sandboxRecipe,
  sandboxVersion,
  sudoBuildCommand,
  type SandboxManifest,
} from './sandbox-image.js';

const base = sandboxRecipe({ office: false });

function manifestOf(version: string, office = false): SandboxManifest {
  return {
    version,
    revision: 1,
    suite: 'bookworm',
    office,
    builtAt: '2026-11-22T03:18:23.477Z',
    buildSeconds: 69,
    sizeBytes: 684_798_508,
    mirror: 'http://deb.debian.org/debian',
    packages: { python3: '3.11.2-1+b1' },
    npm: { docx: '9.15.2' },
    env: { PATH: '/usr/bin:/bin' },
    dockerImage: `steward-sandbox:${version}`,
  };
}

function invalidInput(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (isStewardError(error) && error.code === 'INVALID_INPUT') return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_INPUT error');
}

describe('sandboxVersion', () => {
  it('is 12 hex digits and the same for the same recipe', () => {
    const version = sandboxVersion(base);
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    expect(sandboxVersion(sandboxRecipe({ office: false }))).toBe(version);
  });

  it('changes when a package is added, removed or renamed', () => {
    const version = sandboxVersion(base);
    expect(sandboxVersion({ ...base, packages: [...base.packages, 'procps'] })).not.toBe(version);
    expect(sandboxVersion({ ...base, packages: base.packages.slice(1) })).not.toBe(version);
    const renamed = base.packages.map((name) => (name === 'python3-munkres' ? 'python3-scipy' : name));
    expect(sandboxVersion({ ...base, packages: renamed })).not.toBe(version);
  });

  it('does not depend on the order packages and pins are listed in', () => {
    const reversedNpm = Object.fromEntries(Object.entries(base.npm).reverse());
    expect(sandboxVersion({ ...base, packages: [...base.packages].reverse(), npm: reversedNpm })).toBe(
      sandboxVersion(base),
    );
  });

  it('changes with an npm pin, the npm cut-off date, the image environment and the recipe revision', () => {
    const version = sandboxVersion(base);
    expect(sandboxVersion({ ...base, npm: { ...base.npm, docx: '9.5.1' } })).not.toBe(version);
    expect(sandboxVersion({ ...base, npmBefore: '2027-01-01T00:00:00.000Z' })).not.toBe(version);
    expect(sandboxVersion({ ...base, env: { ...base.env, LANG: 'C' } })).not.toBe(version);
    expect(sandboxVersion({ ...base, revision: base.revision + 1 })).not.toBe(version);
  });

  it('gives the LibreOffice variant its own version and its packages', () => {
    const office = sandboxRecipe({ office: true });
    expect(sandboxVersion(office)).not.toBe(sandboxVersion(base));
    expect(office.packages).toEqual([...BASE_PACKAGES, ...OFFICE_PACKAGES]);
    expect(base.packages).not.toContain('libreoffice-core-nogui');
    expect(office.env['UserInstallation']).toBe('file:///tmp/libreoffice');
    expect(base.env['UserInstallation']).toBeUndefined();
  });

  it('keeps matplotlib away from scipy and its compiler by asking for munkres', () => {
    expect(base.packages).toContain('python3-munkres');
    expect(base.packages).not.toContain('python3-scipy');
  });
});

describe('parseSandboxManifest', () => {
  const version = sandboxVersion(base);

  it('accepts a manifest as the build writes it', () => {
    expect(parseSandboxManifest(manifestOf(version), version)).toEqual(manifestOf(version));
  });

  it('rejects garbage and manifests with missing or mistyped fields', () => {
    const { dockerImage: _dropped, ...withoutImage } = manifestOf(version);
    const cases: unknown[] = [
      null,
      'manifest',
      [],
      {},
      withoutImage,
      { ...manifestOf(version), version: '../../etc' },
      { ...manifestOf(version), sizeBytes: -1 },
      { ...manifestOf(version), buildSeconds: '69' },
      { ...manifestOf(version), builtAt: 'yesterday' },
      { ...manifestOf(version), office: 'no' },
      { ...manifestOf(version), packages: { python3: 3 } },
      { ...manifestOf(version), env: ['PATH=/bin'] },
    ];
    for (const value of cases) expect(invalidInput(() => parseSandboxManifest(value))).toMatch(/not valid/);
  });

  it('rejects a manifest describing another version', () => {
    expect(invalidInput(() => parseSandboxManifest(manifestOf('0123456789ab'), version))).toMatch(
      /describes version 0123456789ab/,
    );
  });
});

describe('reading the cache', () => {
  let cacheDir: string;
  const version = sandboxVersion(base);
  const officeVersion = sandboxVersion(sandboxRecipe({ office: true }));

  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'steward-sandbox-spec-'));
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  function install(manifest: SandboxManifest, withRootfs = true): void {
    const paths = sandboxPaths(cacheDir, manifest.version);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.manifest, JSON.stringify(manifest));
    if (withRootfs) mkdirSync(join(paths.rootfs, 'usr', 'bin'), { recursive: true });
  }

  it('reads a manifest, and answers undefined for a version never built', () => {
    install(manifestOf(version));
    expect(readSandboxManifest(cacheDir, version)).toEqual(manifestOf(version));
    expect(readSandboxManifest(cacheDir, officeVersion)).toBeUndefined();
  });

  it('refuses a corrupt manifest, one about another version, and a version that is not one', () => {
    const paths = sandboxPaths(cacheDir, version);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.manifest, '{"version": "0823');
    expect(invalidInput(() => readSandboxManifest(cacheDir, version))).toMatch(/not JSON/);
    writeFileSync(paths.manifest, JSON.stringify(manifestOf(officeVersion)));
    expect(invalidInput(() => readSandboxManifest(cacheDir, version))).toMatch(/describes version/);
    expect(invalidInput(() => readSandboxManifest(cacheDir, '../escape'))).toMatch(/not 12 hex digits/);
  });

  it('counts an image as built only with its manifest and its root file system', () => {
    expect(findBuiltSandbox(cacheDir)).toBeUndefined();
    install(manifestOf(version), false);
    expect(findBuiltSandbox(cacheDir)).toBeUndefined();
    install(manifestOf(version));
    expect(findBuiltSandbox(cacheDir)?.version).toBe(version);
  });

  it('ignores images of other recipes, and prefers the variant current.json names', () => {
    install(manifestOf('0123456789ab'));
    expect(findBuiltSandbox(cacheDir)).toBeUndefined();
    install(manifestOf(version));
    install(manifestOf(officeVersion, true));
    expect(findBuiltSandbox(cacheDir)?.version).toBe(version);
    writeFileSync(
      join(cacheDir, 'current.json'),
      JSON.stringify(pointerFor(cacheDir, manifestOf(officeVersion, true))),
    );
    expect(findBuiltSandbox(cacheDir)?.version).toBe(officeVersion);
  });

  it('reads current.json as written, and refuses one with a relative root file system', () => {
    expect(readSandboxPointer(cacheDir)).toBeUndefined();
    const pointer = pointerFor(cacheDir, manifestOf(version));
    writeFileSync(join(cacheDir, 'current.json'), JSON.stringify(pointer));
    expect(readSandboxPointer(cacheDir)).toEqual(pointer);
    expect(pointer.rootfs).toBe(join(cacheDir, version, 'rootfs'));
    writeFileSync(join(cacheDir, 'current.json'), JSON.stringify({ ...pointer, rootfs: 'rootfs' }));
    expect(invalidInput(() => readSandboxPointer(cacheDir))).toMatch(/absolute/);
  });
});

describe('sudoBuildCommand', () => {
  it('names the cache so a sudo build lands where the person’s Steward looks', () => {
    expect(sudoBuildCommand('/home/ada/.cache/steward/sandbox')).toBe(
      'sudo STEWARD_SANDBOX_CACHE=/home/ada/.cache/steward/sandbox steward sandbox build',
    );
    expect(sudoBuildCommand("/home/o'brien/my cache", true)).toBe(
      `sudo STEWARD_SANDBOX_CACHE='/home/o'\\''brien/my cache' steward sandbox build --office`,
    );
  });
});
