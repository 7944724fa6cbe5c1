import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { StewardError } from '@steward/contracts';
import { CliError } from '../cli/cli-error.js';
import { aptInstall, isDebianLike, readOsRelease } from '../doctor/auto-install.js';
import { debianMirrors, readHostAptSources } from './apt-sources.js';
import { acquireBuildLock } from './build-lock.js';
import { BuildLog, commandExists, unmountUnder } from './build-process.js';
import {
  dockerEngineReachable,
  dockerImageExists,
  dockerImageTag,
  importIntoDocker,
} from './docker-image.js';
import {
  bakeFontCache,
  configureApt,
  DEBIAN_KEYRING,
  debootstrapBase,
  finishRootfs,
  installedNpmVersions,
  installedPackageVersions,
  installNpmLibraries,
  installPackages,
  NODE_MODULES,
  npmAvailable,
  shrinkRootfs,
  treeSize,
  verifyRootfs,
} from './rootfs-build.js';

/** Bump when the build steps change what ends up in the image, so every machine rebuilds. */
export const RECIPE_REVISION = 1;
export const SANDBOX_SUITE = 'bookworm';

/**
 * What the agent's code can use. python3-munkres satisfies matplotlib's `python3-scipy |
 * python3-munkres`, so apt leaves out scipy and the compiler it would bring.
 */
export const BASE_PACKAGES: readonly string[] = [
  'bash',
  'coreutils',
  'findutils',
  'grep',
  'sed',
  'gawk',
  'tar',
  'gzip',
  'xz-utils',
  'unzip',
  'zip',
  'file',
  'ca-certificates',
  'python3',
  'python3-pandas',
  'python3-openpyxl',
  'python3-docx',
  'python3-matplotlib',
  'python3-munkres',
  'python3-reportlab',
  'python3-pil',
  'nodejs',
  'poppler-utils',
  'fonts-dejavu-core',
  'fonts-liberation2',
];

/** Headless LibreOffice for formula recalculation and conversions (about +300 MB). */
export const OFFICE_PACKAGES: readonly string[] = [
  'libreoffice-core-nogui',
  'libreoffice-calc-nogui',
  'libreoffice-writer-nogui',
  'libreoffice-impress-nogui',
];

/**
 * Office-file libraries for Node, run by Debian 12's Node 18. docx 9 declares nanoid 6 (Node 22+)
 * but bundles its own copy, so it runs on 18: the build's verify step and the integration test
 * prove it by requiring and importing each.
 */
export const NPM_PINS: Readonly<Record<string, string>> = {
  docx: '9.15.2',
  pptxgenjs: '4.0.1',
  exceljs: '4.4.0',
  'pdf-lib': '1.17.1',
};

/**
 * pptxgenjs's ES module build is a `.js` file in a package without `"type": "module"`: Node 18
 * loads it as CommonJS and fails (Node 20.19+ detects the syntax). In the sandbox it is require()d.
 */
export const NPM_REQUIRE_ONLY: readonly string[] = ['pptxgenjs'];

/** npm resolves transitive dependencies as the registry stood at this moment. */
export const NPM_BEFORE = '2026-11-20T00:00:00.000Z';

/**
 * The environment the image expects, set as the Docker image's ENV and handed to bubblewrap
 * through current.json. MPLCONFIGDIR is a fresh folder per sandbox; a start-up hook fills it from
 * the font cache baked into /opt/steward/mpl.
 */
export const IMAGE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  NODE_PATH: NODE_MODULES,
  MPLBACKEND: 'Agg',
  MPLCONFIGDIR: '/tmp/matplotlib',
};

/**
 * LibreOffice finds its profile folder through the user's passwd entry, which the uid a sandbox
 * runs as does not have in the image; this bootstrap variable puts the profile in the sandbox's /tmp.
 */
export const OFFICE_ENV: Readonly<Record<string, string>> = {
  UserInstallation: 'file:///tmp/libreoffice',
};

export interface SandboxRecipeOptions {
  readonly office: boolean;
}

/** Everything that decides the image's content; its hash is the image's version. */
export interface SandboxRecipe {
  readonly revision: number;
  readonly suite: string;
  readonly office: boolean;
  readonly packages: readonly string[];
  readonly npm: Readonly<Record<string, string>>;
  readonly npmBefore: string;
  readonly env: Readonly<Record<string, string>>;
}

export function sandboxRecipe(options: SandboxRecipeOptions): SandboxRecipe {
  return {
    revision: RECIPE_REVISION,
    suite: SANDBOX_SUITE,
    office: options.office,
    packages: [...BASE_PACKAGES, ...(options.office ? OFFICE_PACKAGES : [])],
    npm: { ...NPM_PINS },
    npmBefore: NPM_BEFORE,
    env: { ...IMAGE_ENV, ...(options.office ? OFFICE_ENV : {}) },
  };
}

const sortedRecord = (record: Readonly<Record<string, string>>): Array<[string, string]> =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** 12 hex digits of sha256 over the recipe; the order packages or pins are listed in does not count. */
export function sandboxVersion(recipe: SandboxRecipe): string {
  const canonical = JSON.stringify([
    recipe.revision,
    recipe.suite,
    recipe.office,
    [...new Set(recipe.packages)].sort(),
    sortedRecord(recipe.npm),
    recipe.npmBefore,
    sortedRecord(recipe.env),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

export const POINTER_FILE = 'current.json';
export const MANIFEST_FILE = 'manifest.json';

export interface SandboxPaths {
  /** `<cacheDir>/<version>`: appears whole, by one rename, once the build is complete. */
  readonly dir: string;
  readonly rootfs: string;
  readonly manifest: string;
  readonly log: string;
}

export function sandboxPaths(cacheDir: string, version: string): SandboxPaths {
  const dir = join(cacheDir, version);
  return {
    dir,
    rootfs: join(dir, 'rootfs'),
    manifest: join(dir, MANIFEST_FILE),
    log: join(dir, 'build.log'),
  };
}

/** A version is the first 12 hex digits of the recipe's hash; it names its folder in the cache. */
export const VERSION_PATTERN = /^[0-9a-f]{12}$/;
const stringMap = z.record(z.string().min(1), z.string());

/**
 * `<cacheDir>/<version>/manifest.json`, beside `rootfs/` and `build.log`:
 *
 * ```
 * { "version": "3f2a9c0d1e4b",        sandboxVersion() of the recipe
 *   "revision": 1, "suite": "bookworm", "office": false,
 *   "builtAt": "2026-11-22T03:30:00.000Z", "buildSeconds": 212, "sizeBytes": 598000000,
 *   "mirror": "http://deb.debian.org/debian",
 *   "packages": { "python3-pandas": "1.5.3+dfsg-2", … },   requested packages, installed versions
 *   "npm": { "docx": "9.15.2", … },                          under /opt/steward/node/node_modules
 *   "env": { "PATH": "…", "NODE_PATH": "…", … },             what a sandbox's environment starts from
 *   "dockerImage": "steward-sandbox:3f2a9c0d1e4b" }          its tag once imported (Docker says whether it is)
 * ```
 *
 * Fields may be added; readers ignore the ones they do not know.
 */
const manifestSchema = z.object({
  version: z.string().regex(VERSION_PATTERN),
  revision: z.number().int().positive(),
  suite: z.string().min(1),
  office: z.boolean(),
  builtAt: z.iso.datetime(),
  buildSeconds: z.number().nonnegative(),
  sizeBytes: z.number().int().nonnegative(),
  mirror: z.string().min(1),
  packages: stringMap,
  npm: stringMap,
  env: stringMap,
  dockerImage: z.string().min(1),
});
export type SandboxManifest = Readonly<z.infer<typeof manifestSchema>>;

/**
 * `<cacheDir>/current.json`: the most recent image built or confirmed by this machine's Steward,
 * which vm-service runs. `rootfs` is absolute; `manifest` is that image's manifest.json.
 */
const pointerSchema = z.object({
  version: z.string().regex(VERSION_PATTERN),
  office: z.boolean(),
  rootfs: z.string().refine((value) => isAbsolute(value), 'must be an absolute path'),
  dockerImage: z.string().min(1),
  env: stringMap,
  manifest: z.string().refine((value) => isAbsolute(value), 'must be an absolute path'),
});
export type SandboxPointer = Readonly<z.infer<typeof pointerSchema>>;

function invalid(what: string, why: string): StewardError {
  return new StewardError('INVALID_INPUT', `${what} is not valid: ${why}`, { details: { file: what } });
}

function parseJsonFile<T>(file: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(file, (error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(file, 'not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(file, z.prettifyError(parsed.error).replace(/\n/g, '; '));
  return parsed.data;
}

/** Checks a manifest's shape; `expectedVersion` also rejects one describing another image. */
export function parseSandboxManifest(value: unknown, expectedVersion?: string): SandboxManifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw invalid('sandbox manifest', z.prettifyError(parsed.error).replace(/\n/g, '; '));
  if (expectedVersion !== undefined && parsed.data.version !== expectedVersion)
    throw invalid('sandbox manifest', `it describes version ${parsed.data.version}, not ${expectedVersion}`);
  return parsed.data;
}

/**
 * The manifest of `version`, or undefined when that version was never built. A manifest that is
 * unreadable, malformed or about another version is an INVALID_INPUT error.
 */
export function readSandboxManifest(cacheDir: string, version: string): SandboxManifest | undefined {
  if (!VERSION_PATTERN.test(version)) throw invalid('sandbox version', `"${version}" is not 12 hex digits`);
  const file = sandboxPaths(cacheDir, version).manifest;
  const manifest = parseJsonFile(file, manifestSchema);
  if (manifest !== undefined && manifest.version !== version)
    throw invalid(file, `it describes version ${manifest.version}, not ${version}`);
  return manifest;
}

export function readSandboxPointer(cacheDir: string): SandboxPointer | undefined {
  return parseJsonFile(join(cacheDir, POINTER_FILE), pointerSchema);
}

/** A manifest plus the tree it describes: what "this version is built" means. */
function usableManifest(cacheDir: string, version: string): SandboxManifest | undefined {
  let manifest: SandboxManifest | undefined;
  try {
    manifest = readSandboxManifest(cacheDir, version);
  } catch {
    return undefined;
  }
  const rootfs = sandboxPaths(cacheDir, version).rootfs;
  return manifest !== undefined && existsSync(join(rootfs, 'usr', 'bin')) ? manifest : undefined;
}

/**
 * The built image of this Steward's recipe, with or without LibreOffice — the one current.json
 * names when it is one of them — or undefined when neither is built.
 */
export function findBuiltSandbox(cacheDir: string): SandboxManifest | undefined {
  const versions = [false, true].map((office) => sandboxVersion(sandboxRecipe({ office })));
  let preferred: string | undefined;
  try {
    preferred = readSandboxPointer(cacheDir)?.version;
  } catch {
    preferred = undefined;
  }
  const order =
    preferred !== undefined && versions.includes(preferred)
      ? [preferred, ...versions.filter((version) => version !== preferred)]
      : versions;
  for (const version of order) {
    const manifest = usableManifest(cacheDir, version);
    if (manifest !== undefined) return manifest;
  }
  return undefined;
}

function writeJsonAtomically(file: string, value: unknown): void {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  renameSync(temp, file);
}

export function pointerFor(cacheDir: string, manifest: SandboxManifest): SandboxPointer {
  const paths = sandboxPaths(cacheDir, manifest.version);
  return {
    version: manifest.version,
    office: manifest.office,
    rootfs: paths.rootfs,
    dockerImage: manifest.dockerImage,
    env: manifest.env,
    manifest: paths.manifest,
  };
}

/** Rewrites current.json when it names another image; a cache this user cannot write is left alone. */
function updatePointer(cacheDir: string, manifest: SandboxManifest): boolean {
  const wanted = pointerFor(cacheDir, manifest);
  try {
    if (JSON.stringify(readSandboxPointer(cacheDir)) === JSON.stringify(wanted)) return true;
  } catch {
    // Unreadable: replaced below.
  }
  try {
    writeJsonAtomically(join(cacheDir, POINTER_FILE), wanted);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return false;
    throw error;
  }
}

export type SandboxPhase =
  | 'prepare'
  | 'wait'
  | 'debootstrap'
  | 'packages'
  | 'npm'
  | 'fonts'
  | 'shrink'
  | 'verify'
  | 'commit'
  | 'docker';

export interface SandboxProgress {
  readonly phase: SandboxPhase;
  readonly message: string;
  readonly elapsedSeconds: number;
}

export interface BuildSandboxOptions {
  readonly cacheDir: string;
  readonly office: boolean;
  /** Rebuild even when this version is built (and re-import it into Docker). */
  readonly force: boolean;
  /** The Docker engine's socket (the runtime config's dockerSocket). */
  readonly dockerSocket: string;
  /** Install debootstrap with apt-get when it is missing (root on Debian/Ubuntu only). */
  readonly installTools: boolean;
}

export type DockerOutcome =
  | { readonly kind: 'imported'; readonly seconds: number }
  | { readonly kind: 'present' }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'failed'; readonly message: string };

export interface BuildSandboxResult {
  readonly manifest: SandboxManifest;
  readonly rootfs: string;
  /** False when the cache already held this version. */
  readonly built: boolean;
  readonly docker: DockerOutcome;
  /** False when current.json could not be written (a cache owned by root, read by a person). */
  readonly pointerUpdated: boolean;
}

/** Enough room for the unpacked packages, the tree and the copy Docker makes of it. */
const MIN_FREE_BYTES = 4 * 1024 ** 3;

/**
 * Creates the cache folder readable by everyone (vm-service may run as another user than the
 * build). Parent folders it has to create take the owner of the folder they are made in, so a
 * `sudo` build into a person's ~/.cache leaves that ~/.cache theirs.
 */
function prepareCacheDir(cacheDir: string): void {
  let existing = cacheDir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const owner = statSync(existing);
  const created = mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  if (created === undefined) return;
  chmodSync(cacheDir, 0o755);
  if (process.getuid?.() !== 0 || owner.uid === 0) return;
  for (let dir = dirname(cacheDir); dir.length >= created.length; dir = dirname(dir)) {
    chownSync(dir, owner.uid, owner.gid);
  }
}

/** A `steward sandbox …` command run with root's powers on this very cache, not root's own. */
export function sudoSandboxCommand(cacheDir: string, subcommand: string): string {
  const quoted = /^[\w./@%+=:,-]+$/.test(cacheDir) ? cacheDir : `'${cacheDir.replace(/'/g, `'\\''`)}'`;
  return `sudo STEWARD_SANDBOX_CACHE=${quoted} steward sandbox ${subcommand}`;
}

/** The command a person runs to build into their own cache, with root's powers. */
export function sudoBuildCommand(cacheDir: string, office = false): string {
  return sudoSandboxCommand(cacheDir, `build${office ? ' --office' : ''}`);
}

async function preflight(options: BuildSandboxOptions, say: (line: string) => void): Promise<void> {
  if (process.platform !== 'linux')
    throw new CliError(
      'building the sandbox image needs Linux (debootstrap, chroot); this is ' + process.platform,
    );
  if (process.getuid?.() !== 0) {
    throw new CliError(
      `building the sandbox image needs root (debootstrap and chroot do). Run it with sudo:\n  ${sudoBuildCommand(options.cacheDir, options.office)}\n` +
        '(the variable keeps the image in your cache, where Steward looks for it, rather than in root’s)',
    );
  }
  const missing = [
    ...(commandExists('debootstrap') ? [] : ['debootstrap']),
    ...(existsSync(DEBIAN_KEYRING) ? [] : ['debian-archive-keyring']),
  ];
  if (missing.length > 0 && options.installTools && isDebianLike(readOsRelease())) {
    await aptInstall(missing, say);
  }
  if (!commandExists('debootstrap')) {
    throw new CliError(
      'building the sandbox image needs debootstrap, which is not installed.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y debootstrap',
    );
  }
  if (!(await npmAvailable()))
    throw new CliError(
      'building the sandbox image needs npm (it comes with Node.js) to install the office libraries',
    );
}

/** Folders of builds that were interrupted, and of replaced versions not yet removed. */
async function removeLeftovers(cacheDir: string, say: (line: string) => void): Promise<void> {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('.build-') && !name.startsWith('.old-')) continue;
    const dir = join(cacheDir, name);
    say(`removing ${dir}, left by an earlier build`);
    await unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Moves the finished build into place in one rename; a version being replaced is removed after. */
async function commit(cacheDir: string, work: string, version: string): Promise<void> {
  const target = sandboxPaths(cacheDir, version).dir;
  let old: string | undefined;
  if (existsSync(target)) {
    old = join(cacheDir, `.old-${version}-${process.pid}`);
    renameSync(target, old);
  }
  renameSync(work, target);
  if (old !== undefined) {
    await unmountUnder(old);
    rmSync(old, { recursive: true, force: true });
  }
}

async function buildLocked(
  options: BuildSandboxOptions,
  recipe: SandboxRecipe,
  version: string,
  phase: <T>(name: SandboxPhase, message: string, work: () => Promise<T> | T) => Promise<T>,
  say: (line: string) => void,
): Promise<SandboxManifest> {
  const { cacheDir } = options;
  await removeLeftovers(cacheDir, say);
  const free = statfsSync(cacheDir);
  if (free.bavail * free.bsize < MIN_FREE_BYTES) {
    throw new CliError(
      `building the sandbox image needs about 4 GB free in ${cacheDir}; there are ${((free.bavail * free.bsize) / 1024 ** 3).toFixed(1)} GB`,
    );
  }
  const started = Date.now();
  const work = join(cacheDir, `.build-${version}-${process.pid}`);
  mkdirSync(work, { mode: 0o755 });
  chmodSync(work, 0o755);
  const root = join(work, 'rootfs');
  const log = new BuildLog(join(work, 'build.log'));
  const mirrors = debianMirrors(readHostAptSources(), recipe.suite);
  try {
    await phase('debootstrap', `debootstrap: minimal Debian ${recipe.suite} from ${mirrors.main}`, () =>
      debootstrapBase(root, recipe.suite, mirrors, log),
    );
    await phase(
      'packages',
      `apt-get install: ${recipe.packages.length} packages and their dependencies`,
      () => {
        configureApt(root, recipe.suite, mirrors);
        return installPackages(root, recipe.packages, log);
      },
    );
    const npmNames = Object.keys(recipe.npm);
    await phase(
      'npm',
      `npm install: ${sortedRecord(recipe.npm)
        .map(([n, v]) => `${n}@${v}`)
        .join(' ')}`,
      () => installNpmLibraries(root, recipe.npm, recipe.npmBefore, log),
    );
    await phase('fonts', "baking matplotlib's font cache", () => bakeFontCache(root, log));
    await phase('shrink', 'removing caches, package lists, docs, man pages and translations', () => {
      shrinkRootfs(root);
    });
    await phase(
      'verify',
      'checking Python, Node, poppler' + (recipe.office ? ' and LibreOffice' : ''),
      async () => {
        const imported = npmNames.filter((name) => !NPM_REQUIRE_ONLY.includes(name));
        await verifyRootfs(root, recipe.env, { required: npmNames, imported }, recipe.office, log);
        finishRootfs(root);
      },
    );
    const manifest = parseSandboxManifest({
      version,
      revision: recipe.revision,
      suite: recipe.suite,
      office: recipe.office,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 100) / 10,
      sizeBytes: treeSize(root),
      mirror: mirrors.main,
      packages: await installedPackageVersions(root, recipe.packages, log),
      npm: installedNpmVersions(root, npmNames),
      env: recipe.env,
      dockerImage: dockerImageTag(version),
    });
    writeJsonAtomically(join(work, MANIFEST_FILE), manifest);
    log.close();
    await phase('commit', `moving the finished image to ${sandboxPaths(cacheDir, version).dir}`, () =>
      commit(cacheDir, work, version),
    );
    return manifest;
  } catch (error) {
    log.close();
    const kept = join(cacheDir, 'build-failed.log');
    try {
      copyFileSync(log.file, kept);
      chmodSync(kept, 0o644);
    } catch {
      // The error itself carries the log's end.
    }
    await unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

function importLog(cacheDir: string, version: string): BuildLog {
  try {
    return new BuildLog(sandboxPaths(cacheDir, version).log);
  } catch {
    return new BuildLog(join(tmpdir(), `steward-sandbox-${version}-import.log`));
  }
}

async function ensureDockerImage(
  options: BuildSandboxOptions,
  manifest: SandboxManifest,
  reimport: boolean,
  phase: <T>(name: SandboxPhase, message: string, work: () => Promise<T> | T) => Promise<T>,
): Promise<DockerOutcome> {
  if (!(await dockerEngineReachable(options.dockerSocket))) return { kind: 'unavailable' };
  if (!reimport && (await dockerImageExists(options.dockerSocket, manifest.dockerImage)))
    return { kind: 'present' };
  const log = importLog(options.cacheDir, manifest.version);
  const started = Date.now();
  try {
    await phase('docker', `docker import as ${manifest.dockerImage}`, () =>
      importIntoDocker(
        options.dockerSocket,
        sandboxPaths(options.cacheDir, manifest.version).rootfs,
        manifest.version,
        manifest.env,
        log,
      ),
    );
    return { kind: 'imported', seconds: Math.round((Date.now() - started) / 100) / 10 };
  } catch (error) {
    return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  } finally {
    log.close();
  }
}

const HEARTBEAT_MS = 20_000;

/**
 * Makes sure the image of this recipe exists in `<cacheDir>/<version>` (building it when it does
 * not, or when forced), is imported into Docker when an engine answers, and is what current.json
 * names. Building needs root on Linux; reusing a built image does not.
 */
export async function buildSandbox(
  options: BuildSandboxOptions,
  onProgress: (progress: SandboxProgress) => void,
): Promise<BuildSandboxResult> {
  const started = Date.now();
  const emit = (phase: SandboxPhase, message: string): void =>
    onProgress({ phase, message, elapsedSeconds: Math.round((Date.now() - started) / 1000) });
  const phase = async <T>(name: SandboxPhase, message: string, work: () => Promise<T> | T): Promise<T> => {
    emit(name, message);
    const heartbeat = setInterval(
      () => emit(name, `still ${name === 'docker' ? 'importing' : 'working'}: ${message}`),
      HEARTBEAT_MS,
    );
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
    }
  };
  const recipe = sandboxRecipe({ office: options.office });
  const version = sandboxVersion(recipe);
  let manifest = options.force ? undefined : usableManifest(options.cacheDir, version);
  let built = false;
  if (manifest === undefined) {
    await preflight(options, (line) => emit('prepare', line));
    prepareCacheDir(options.cacheDir);
    const release = await acquireBuildLock(options.cacheDir, {
      onWait: (holder) =>
        emit('wait', `waiting for another build of the sandbox image (pid ${holder}) to finish`),
    });
    try {
      manifest = options.force ? undefined : usableManifest(options.cacheDir, version);
      if (manifest === undefined) {
        manifest = await buildLocked(options, recipe, version, phase, (line) => emit('prepare', line));
        built = true;
      }
    } finally {
      release();
    }
  }
  const docker = await ensureDockerImage(options, manifest, built, phase);
  const pointerUpdated = updatePointer(options.cacheDir, manifest);
  const rootfs = sandboxPaths(options.cacheDir, manifest.version).rootfs;
  // Reusing a built version takes no lock, so `sandbox prune` may have removed it just before
  // current.json was pointed at it; that must not pass as a working image.
  if (!existsSync(join(rootfs, 'usr', 'bin')))
    throw new CliError(
      `the sandbox image ${manifest.version} was removed (by "steward sandbox prune"?) while this command used it; run "steward sandbox build" again`,
    );
  return {
    manifest,
    rootfs,
    built,
    docker,
    pointerUpdated,
  };
}
