import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, posix } from 'node:path';
import type { DebianMirrors } from './apt-sources.js';
import {
  BuildStepError,
  captureLogged,
  runLogged,
  systemCommand,
  unmountUnder,
  type BuildLog,
} from './build-process.js';

/** Inside the image: the npm libraries, and matplotlib's font cache as built once at build time. */
export const NODE_PREFIX = '/opt/steward/node';
export const NODE_MODULES = `${NODE_PREFIX}/node_modules`;
export const BAKED_MPL_DIR = '/opt/steward/mpl';

const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

const inRoot = (root: string, path: string): string => join(root, ...path.split('/').filter(Boolean));

/**
 * Writes a file of the image through the host's view of it. Removing it first means a symlink in
 * the image (which would point into the host) is replaced, never followed.
 */
function replaceFile(root: string, path: string, content: string, mode = 0o644): void {
  const file = inRoot(root, path);
  rmSync(file, { force: true });
  writeFileSync(file, content, { mode, flag: 'wx' });
  chmodSync(file, mode);
}

/** A command run inside the image with exactly `env`, so nothing of the host's environment leaks in. */
function chrootArgs(
  root: string,
  env: Readonly<Record<string, string>>,
  command: readonly string[],
): string[] {
  return [root, '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command];
}

export async function debootstrapBase(
  root: string,
  suite: string,
  mirrors: DebianMirrors,
  log: BuildLog,
): Promise<void> {
  const keyring = existsSync(DEBIAN_KEYRING) ? [`--keyring=${DEBIAN_KEYRING}`] : [];
  await runLogged(
    systemCommand('debootstrap'),
    ['--variant=minbase', '--components=main', ...keyring, suite, root, mirrors.main],
    log,
    { what: 'debootstrap' },
  );
}

/** Files dpkg never unpacks: documentation (but licences), manual pages, translations. */
const DPKG_SLIM = `path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
`;

const APT_CONF = `APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
`;

/**
 * Sources with updates and security fixes: the sandbox opens untrusted documents with poppler,
 * Pillow and LibreOffice. policy-rc.d keeps package scripts from starting services in the chroot.
 */
export function configureApt(root: string, suite: string, mirrors: DebianMirrors): void {
  replaceFile(
    root,
    'etc/apt/sources.list',
    `deb ${mirrors.main} ${suite} main\ndeb ${mirrors.main} ${suite}-updates main\ndeb ${mirrors.security} ${suite}-security main\n`,
  );
  mkdirSync(inRoot(root, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  replaceFile(root, 'etc/dpkg/dpkg.cfg.d/01-steward-slim', DPKG_SLIM);
  mkdirSync(inRoot(root, 'etc/apt/apt.conf.d'), { recursive: true });
  replaceFile(root, 'etc/apt/apt.conf.d/01-steward', APT_CONF);
  replaceFile(root, 'usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', 0o755);
}

async function withProc<T>(root: string, log: BuildLog, work: () => Promise<T>): Promise<T> {
  await runLogged(systemCommand('mount'), ['-t', 'proc', 'proc', inRoot(root, 'proc')], log, {
    what: 'mounting /proc in the image',
  });
  try {
    return await work();
  } finally {
    await unmountUnder(inRoot(root, 'proc'), log);
  }
}

/**
 * apt-get inside the image rather than debootstrap's --include: debootstrap's resolver always takes
 * the first of alternatives, so matplotlib's `python3-scipy | python3-munkres` would pull scipy and
 * a whole compiler toolchain (1.7 GB instead of under 700 MB). The host environment is kept for proxies.
 */
export async function installPackages(
  root: string,
  packages: readonly string[],
  log: BuildLog,
): Promise<void> {
  const apt = (args: readonly string[], what: string): Promise<void> =>
    runLogged(
      systemCommand('chroot'),
      [
        root,
        '/usr/bin/env',
        '-u',
        'APT_CONFIG',
        `PATH=${CHROOT_PATH}`,
        'DEBIAN_FRONTEND=noninteractive',
        'LC_ALL=C.UTF-8',
        'HOME=/root',
        'apt-get',
        ...args,
      ],
      log,
      { what },
    );
  await withProc(root, log, async () => {
    await apt(['update'], 'apt-get update in the image');
    await apt(['install', '-y', '--no-install-recommends', ...packages], 'apt-get install in the image');
    await apt(['clean'], 'apt-get clean in the image');
  });
}

/**
 * With the host's npm (the image has no npm): no install scripts, and `--before` freezes the
 * versions of transitive dependencies too, so one recipe version means one tree.
 */
export async function installNpmLibraries(
  root: string,
  pins: Readonly<Record<string, string>>,
  before: string,
  log: BuildLog,
): Promise<void> {
  const prefix = inRoot(root, NODE_PREFIX);
  mkdirSync(prefix, { recursive: true, mode: 0o755 });
  await runLogged(
    'npm',
    [
      'install',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--save-exact',
      '--no-update-notifier',
      `--before=${before}`,
      '--prefix',
      prefix,
      ...Object.entries(pins).map(([name, version]) => `${name}@${version}`),
    ],
    log,
    { what: 'npm install of the office libraries' },
  );
  // NODE_PATH serves require(); ES modules ignore it and look in node_modules of every parent
  // folder, so this link lets `import 'docx'` work from any folder in the sandbox.
  const link = inRoot(root, 'node_modules');
  rmSync(link, { force: true });
  symlinkSync(posix.relative('/', NODE_MODULES), link);
}

/** Python runs this at start (from a .pth file): see its docstring. */
const MPL_SEED_MODULE = `"""Gives matplotlib the font cache baked into the Steward sandbox image.

The image is read-only and MPLCONFIGDIR points at a fresh folder in each sandbox; without the baked
cache every sandbox would rebuild it on its first plot. This runs at every interpreter start, so it
stays cheap: one directory listing and a stat when there is nothing to do.
"""
import os


def _seed_matplotlib_cache(baked="${BAKED_MPL_DIR}"):
    target = os.environ.get("MPLCONFIGDIR")
    if not target or os.path.abspath(target) == baked:
        return
    try:
        missing = [n for n in os.listdir(baked) if not os.path.exists(os.path.join(target, n))]
        if not missing:
            return
        os.makedirs(target, exist_ok=True)
        for name in missing:
            with open(os.path.join(baked, name), "rb") as source:
                data = source.read()
            partial = os.path.join(target, ".%s.%d" % (name, os.getpid()))
            with open(partial, "wb") as copy:
                copy.write(data)
            os.replace(partial, os.path.join(target, name))
    except OSError:
        pass


_seed_matplotlib_cache()
`;

function chmodTree(path: string, fileMode: number, dirMode: number): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (!stat.isDirectory()) return chmodSync(path, fileMode);
  chmodSync(path, dirMode);
  for (const name of readdirSync(path)) chmodTree(join(path, name), fileMode, dirMode);
}

/**
 * Builds matplotlib's font list once, into a folder every sandbox user can read, and installs the
 * start-up hook that copies it into each sandbox's writable MPLCONFIGDIR.
 */
export async function bakeFontCache(root: string, log: BuildLog): Promise<void> {
  const baked = inRoot(root, BAKED_MPL_DIR);
  rmSync(baked, { recursive: true, force: true });
  mkdirSync(baked, { recursive: true, mode: 0o755 });
  const dist = 'usr/lib/python3/dist-packages';
  replaceFile(root, `${dist}/steward_sandbox.py`, MPL_SEED_MODULE);
  replaceFile(root, `${dist}/steward-sandbox.pth`, 'import steward_sandbox\n');
  await runLogged(
    systemCommand('chroot'),
    chrootArgs(root, { PATH: CHROOT_PATH, HOME: '/root', MPLCONFIGDIR: BAKED_MPL_DIR, MPLBACKEND: 'Agg' }, [
      'python3',
      '-c',
      "import matplotlib.pyplot as plt; f = plt.figure(); f.text(0.5, 0.5, 'Steward'); f.savefig('/tmp/steward-fonts.png')",
    ]),
    log,
    { what: "building matplotlib's font cache" },
  );
  if (!readdirSync(baked).some((name) => name.startsWith('fontlist')))
    throw new BuildStepError(`matplotlib wrote no font list into ${BAKED_MPL_DIR}; see ${log.file}`);
  chmodTree(baked, 0o644, 0o755);
  if (existsSync(inRoot(root, 'usr/bin/fc-cache'))) {
    await runLogged(
      systemCommand('chroot'),
      chrootArgs(root, { PATH: CHROOT_PATH }, ['fc-cache', '-s']),
      log,
      {
        what: "building fontconfig's cache",
      },
    );
  }
}

/** What goes from the finished tree: caches, package lists, logs, docs but licences, man pages, translations, source maps and type declarations of the npm libraries. */
export function isShrinkable(path: string): boolean {
  const under = (dir: string): boolean => path.startsWith(`${dir}/`);
  if (under('usr/share/doc')) return posix.basename(path) !== 'copyright';
  if (
    ['usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian'].some(under) ||
    ['var/lib/apt/lists', 'var/cache/apt', 'var/log', 'tmp', 'var/tmp', 'root/.cache'].some(under)
  )
    return true;
  if (under('var/cache/debconf') || under('var/lib/dpkg')) return path.endsWith('-old');
  if (under(NODE_PREFIX.slice(1))) return /\.(map|d\.ts|d\.cts|d\.mts)$/.test(path);
  return false;
}

/** Trees that may be left with nothing in them once shrunk; their empty folders go too. */
const PRUNED = ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian'];

/** Walks without following symlinks: a link in the image points into the host's tree, not the image's. */
function walk(root: string, relative: string, visit: (relative: string, isDir: boolean) => void): void {
  const absolute = relative === '' ? root : join(root, relative);
  let entries;
  try {
    entries = readdirSync(absolute, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) walk(root, child, visit);
    visit(child, entry.isDirectory());
  }
}

/** Removes what a sandbox never needs; returns how many files went. */
export function shrinkRootfs(root: string): number {
  let removed = 0;
  walk(root, '', (path, isDir) => {
    if (isDir) {
      if (PRUNED.some((dir) => path.startsWith(`${dir}/`))) {
        try {
          rmdirSync(join(root, path));
        } catch {
          // Not empty: something in it is kept.
        }
      }
      return;
    }
    if (isShrinkable(path)) {
      rmSync(join(root, path), { force: true });
      removed += 1;
    }
  });
  return removed;
}

/** Leaves nothing of the build host in the image, and nothing of the build's scaffolding. */
export function finishRootfs(root: string): void {
  replaceFile(root, 'etc/hostname', 'sandbox\n');
  // Docker writes its own; bubblewrap sandboxes have no network to resolve names on.
  replaceFile(root, 'etc/resolv.conf', '');
  rmSync(inRoot(root, 'usr/sbin/policy-rc.d'), { force: true });
  for (const dir of ['tmp', 'var/tmp']) {
    rmSync(inRoot(root, dir), { recursive: true, force: true });
    mkdirSync(inRoot(root, dir));
    chmodSync(inRoot(root, dir), 0o1777);
  }
}

const VERIFY_PYTHON =
  'import pandas, openpyxl, docx, reportlab, PIL, matplotlib.pyplot as plt; ' +
  "f = plt.figure(); f.text(0.5, 0.5, 'ok'); f.savefig('/tmp/steward-verify.png')";

/** Proves the finished tree does what the sandbox promises before it is ever used. */
export async function verifyRootfs(
  root: string,
  env: Readonly<Record<string, string>>,
  npm: { readonly required: readonly string[]; readonly imported: readonly string[] },
  office: boolean,
  log: BuildLog,
): Promise<void> {
  const runEnv = { ...env, HOME: '/tmp' };
  const check = (command: readonly string[], what: string): Promise<void> =>
    runLogged(systemCommand('chroot'), chrootArgs(root, runEnv, command), log, { what: `checking ${what}` });
  // Every sandbox has a /proc; LibreOffice refuses to start without one.
  await withProc(root, log, async () => {
    await check(['python3', '-c', VERIFY_PYTHON], 'the Python libraries');
    await check(
      ['node', '-e', `for (const name of ${JSON.stringify(npm.required)}) require(name)`],
      'the npm libraries (require)',
    );
    await check(
      [
        'node',
        '--input-type=module',
        '-e',
        npm.imported.map((name) => `import ${JSON.stringify(name)};`).join(' '),
      ],
      'the npm libraries (import)',
    );
    await check(['pdftotext', '-v'], 'poppler (pdftotext)');
    if (office) await check(['soffice', '--headless', '--version'], 'LibreOffice');
  });
}

/** Installed versions of the packages the recipe asked for (their dependencies are in dpkg's status). */
export async function installedPackageVersions(
  root: string,
  packages: readonly string[],
  log: BuildLog,
): Promise<Record<string, string>> {
  const output = await captureLogged(
    systemCommand('chroot'),
    chrootArgs(root, { PATH: CHROOT_PATH }, [
      'dpkg-query',
      '-W',
      '-f',
      '${Package}\\t${Version}\\n',
      ...packages,
    ]),
    log,
    'listing the installed packages',
  );
  const versions: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const [name, version] = line.split('\t');
    if (name && version) versions[name] = version;
  }
  return versions;
}

export function installedNpmVersions(root: string, names: readonly string[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    const manifest = inRoot(root, `${NODE_MODULES}/${name}/package.json`);
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
    if (typeof parsed.version !== 'string') throw new BuildStepError(`${manifest} has no version`);
    versions[name] = parsed.version;
  }
  return versions;
}

/** Bytes in the tree as `du --apparent-size` counts them: hard links once, symlinks as themselves. */
export function treeSize(root: string): number {
  let total = 0;
  const seen = new Set<string>();
  walk(root, '', (path) => {
    const stat = lstatSync(join(root, path), { bigint: false });
    if (stat.nlink > 1 && !stat.isDirectory()) {
      const key = `${stat.dev}:${stat.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    total += stat.size;
  });
  return total;
}

/** Whether the host's npm runs at all, checked before minutes of debootstrap rather than after. */
export function npmAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
