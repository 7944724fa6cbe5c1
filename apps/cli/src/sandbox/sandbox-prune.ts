import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { StewardError } from '@steward/contracts';
import { buildLockHolder, LOCK_FILE, tryAcquireBuildLock } from './build-lock.js';
import { mountsUnder, unmountUnder } from './build-process.js';
import {
  dockerEngineReachable,
  listContainers,
  listSandboxImages,
  removeDockerImage,
  type DockerContainerInfo,
} from './docker-image.js';
import { formatSize } from './ensure-sandbox.js';
import { findProcessUsers, procHidesOtherUsers, type ProcessUse } from './process-users.js';
import {
  imageBytesFreed,
  planPrune,
  type CacheFolder,
  type CurrentImage,
  type DockerState,
  type ImageTarget,
  type KeepReason,
} from './prune-plan.js';
import { treeSize } from './rootfs-build.js';
import { readSandboxPointer, sudoSandboxCommand, VERSION_PATTERN } from './sandbox-image.js';
import { removeTree } from './tree-remove.js';

export interface PruneSandboxOptions {
  readonly cacheDir: string;
  /** The Docker engine's socket (the runtime config's dockerSocket). */
  readonly dockerSocket: string;
  /** Decide and report, remove nothing. */
  readonly dryRun: boolean;
}

export interface FolderItem {
  readonly type: 'folder';
  readonly name: string;
  readonly path: string;
  readonly kind: CacheFolder['kind'];
}

export interface ImageItem {
  readonly type: 'image';
  /** Its tags, or its short id when it has none. */
  readonly name: string;
  readonly id: string;
  readonly tags: readonly string[];
}

export type PrunedItem = (FolderItem | (ImageItem & { readonly untagOnly: boolean })) & {
  /** Space it frees (sizes counted without following links; 0 for a tag whose image stays). */
  readonly bytes: number;
};

export type KeptItem = (FolderItem | ImageItem) & {
  readonly reason: KeepReason;
  readonly detail: string;
  readonly processes?: readonly ProcessUse[];
  readonly containers?: ReadonlyArray<Pick<DockerContainerInfo, 'id' | 'name' | 'state'>>;
};

export type FailedItem = (FolderItem | ImageItem) & { readonly message: string };

export type DockerCheck =
  | { readonly status: 'checked' }
  | { readonly status: 'unavailable'; readonly socket: string }
  | { readonly status: 'failed'; readonly message: string }
  /** No current image, so there was nothing to tell Steward's images to keep from the rest. */
  | { readonly status: 'skipped' };

/** What `steward sandbox prune` did (or, with dryRun, would do); `--json` prints it as is. */
export interface PruneReport {
  readonly cacheDir: string;
  readonly dryRun: boolean;
  readonly current: CurrentImage | null;
  /** With dryRun, what would be removed. */
  readonly removed: readonly PrunedItem[];
  readonly kept: readonly KeptItem[];
  /** What was to be removed but could not be; the command then exits non-zero. */
  readonly failed: readonly FailedItem[];
  readonly docker: DockerCheck;
  /** The sum of the removed items' bytes. */
  readonly freedBytes: number;
}

const LEFTOVER_PATTERN = /^\.(build|old)-/;

/** The cache's version folders and build leftovers; anything else (agent folders, logs) is not ours to prune. */
export function scanCache(cacheDir: string): CacheFolder[] {
  return readdirSync(cacheDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry): CacheFolder[] => {
      const path = join(cacheDir, entry.name);
      if (VERSION_PATTERN.test(entry.name)) return [{ name: entry.name, path, kind: 'version' }];
      if (LEFTOVER_PATTERN.test(entry.name)) return [{ name: entry.name, path, kind: 'leftover' }];
      return [];
    });
}

function busy(cacheDir: string, holder: number): StewardError {
  return new StewardError(
    'UNAVAILABLE',
    `a build of the sandbox image (pid ${holder}) holds ${join(cacheDir, LOCK_FILE)}; prune once it has finished`,
    { retryable: true, details: { holder, cacheDir } },
  );
}

function needsRoot(cacheDir: string, what: string, cause?: unknown): StewardError {
  return new StewardError(
    'FORBIDDEN',
    `${what}; run it as root:\n  ${sudoSandboxCommand(cacheDir, 'prune')}`,
    { details: { cacheDir }, cause },
  );
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

/** Takes the build lock, or fails at once: pruning waits for nobody and must not race a build. */
function lockCache(cacheDir: string): () => void {
  let outcome: ReturnType<typeof tryAcquireBuildLock>;
  try {
    outcome = tryAcquireBuildLock(cacheDir);
  } catch (error) {
    if (isPermissionError(error))
      throw needsRoot(cacheDir, `${cacheDir} is not writable by this user`, error);
    throw error;
  }
  if ('holder' in outcome) throw busy(cacheDir, outcome.holder);
  return outcome.release;
}

async function dockerState(socket: string): Promise<DockerState> {
  if (!(await dockerEngineReachable(socket))) return { status: 'unavailable' };
  try {
    const [images, containers] = await Promise.all([listSandboxImages(socket), listContainers(socket)]);
    return { status: 'checked', images, containers };
  } catch (error) {
    return { status: 'failed', message: message(error) };
  }
}

function dockerCheck(state: DockerState, socket: string): DockerCheck {
  if (state.status === 'checked') return { status: 'checked' };
  if (state.status === 'unavailable') return { status: 'unavailable', socket };
  return state;
}

function folderItem(folder: CacheFolder): FolderItem {
  return { type: 'folder', name: folder.name, path: folder.path, kind: folder.kind };
}

function imageItem(image: ImageTarget): ImageItem {
  return {
    type: 'image',
    name: image.tags.length > 0 ? image.tags.join(', ') : image.id.replace(/^sha256:/, '').slice(0, 12),
    id: image.id,
    tags: image.tags,
  };
}

/** Folders this user could not empty, found before anything is touched. */
function unwritable(folders: readonly CacheFolder[]): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  for (const folder of folders) {
    for (const dir of [folder.path, join(folder.path, 'rootfs')]) {
      if (!existsSync(dir)) continue;
      try {
        accessSync(dir, constants.W_OK | constants.X_OK);
      } catch {
        return dir;
      }
    }
  }
  return undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether current.json now names this folder, or cannot be read to tell. */
function becameCurrent(cacheDir: string, folder: CacheFolder): boolean {
  try {
    return readSandboxPointer(cacheDir)?.version === folder.name;
  } catch {
    return true;
  }
}

/**
 * Removes one folder. A version is first renamed to a `.old-` leftover, so it stops being a
 * built version at once and a removal cut short is finished by the next prune or build.
 */
async function removeFolder(cacheDir: string, folder: CacheFolder): Promise<'removed' | 'current'> {
  let target = folder.path;
  try {
    if (folder.kind === 'version') {
      const hidden = join(cacheDir, `.old-${folder.name}-${process.pid}-${randomBytes(3).toString('hex')}`);
      renameSync(folder.path, hidden);
      // `sandbox build` reuses a built version without the lock; it may have just made this one current.
      if (becameCurrent(cacheDir, folder)) {
        renameSync(hidden, folder.path);
        return 'current';
      }
      target = hidden;
    } else {
      await unmountUnder(folder.path);
    }
    removeTree(target);
    return 'removed';
  } catch (error) {
    const left =
      target === folder.path ? '' : `; what is left of it, ${target}, goes with the next prune or build`;
    const hint = isPermissionError(error)
      ? `; run it as root:\n  ${sudoSandboxCommand(cacheDir, 'prune')}`
      : '';
    throw new StewardError('INTERNAL', `${message(error)}${left}${hint}`, { cause: error });
  }
}

/**
 * `steward sandbox prune`: removes the cache's versions other than the one current.json names,
 * leftovers of interrupted builds, and Steward's Docker images other than the current tag —
 * except what a running sandbox, a mount or a container (running or stopped) still uses, which
 * is reported as kept with the reason. Holds the build lock throughout (a dry run only checks
 * that no build holds it); fails at once when a build does.
 */
export async function pruneSandbox(
  options: PruneSandboxOptions,
  say: (line: string) => void,
): Promise<PruneReport> {
  const { cacheDir, dockerSocket, dryRun } = options;
  const empty = (current: CurrentImage | null): PruneReport => ({
    cacheDir,
    dryRun,
    current,
    removed: [],
    kept: [],
    failed: [],
    docker: { status: 'skipped' },
    freedBytes: 0,
  });
  if (!existsSync(cacheDir)) return empty(null);
  let release: (() => void) | undefined;
  if (dryRun) {
    const holder = buildLockHolder(cacheDir);
    if (holder !== undefined) throw busy(cacheDir, holder);
  } else {
    release = lockCache(cacheDir);
  }
  try {
    const pointer = readSandboxPointer(cacheDir);
    const folders = scanCache(cacheDir);
    if (pointer === undefined) {
      if (folders.length === 0) return empty(null);
      throw new StewardError(
        'NOT_FOUND',
        `${join(cacheDir, 'current.json')} does not exist, so nothing says which sandbox image is in use; run "steward sandbox build" to choose one, then prune`,
        { details: { cacheDir } },
      );
    }
    const current: CurrentImage = {
      version: pointer.version,
      rootfs: pointer.rootfs,
      dockerImage: pointer.dockerImage,
    };
    if (procHidesOtherUsers())
      throw needsRoot(
        cacheDir,
        "/proc hides other users' processes (hidepid), so prune cannot tell which versions running sandboxes use",
      );
    const paths = folders.map((folder) => folder.path);
    const docker = await dockerState(dockerSocket);
    const plan = planPrune({
      current,
      folders,
      users: findProcessUsers(paths),
      mounts: new Map(paths.map((path) => [path, mountsUnder(path)])),
      docker,
    });

    const removed: PrunedItem[] = [];
    const kept: KeptItem[] = [];
    const failed: FailedItem[] = [];
    const folderRemovals = plan.folders.flatMap((decision) =>
      decision.action === 'remove' ? [decision.folder] : [],
    );
    if (!dryRun) {
      const blocked = unwritable(folderRemovals);
      if (blocked !== undefined) throw needsRoot(cacheDir, `${blocked} is not writable by this user`);
    }

    for (const decision of plan.folders) {
      const item = folderItem(decision.folder);
      if (decision.action === 'keep') {
        kept.push({
          ...item,
          reason: decision.reason,
          detail: decision.detail,
          ...(decision.users === undefined ? {} : { processes: decision.users }),
        });
        continue;
      }
      const bytes = treeSize(decision.folder.path);
      if (dryRun) {
        removed.push({ ...item, bytes });
        continue;
      }
      say(`removing ${decision.folder.path} (${formatSize(bytes)})`);
      try {
        if ((await removeFolder(cacheDir, decision.folder)) === 'current')
          kept.push({
            ...item,
            reason: 'current',
            detail: 'named by current.json (a build switched to it meanwhile)',
          });
        else removed.push({ ...item, bytes });
      } catch (error) {
        failed.push({ ...item, message: message(error) });
      }
    }

    for (const decision of plan.images ?? []) {
      const item = imageItem(decision.image);
      if (decision.action === 'keep') {
        kept.push({
          ...item,
          reason: decision.reason,
          detail: decision.detail,
          ...(decision.containers === undefined
            ? {}
            : {
                containers: decision.containers.map(({ id, name, state }) => ({ id, name, state })),
              }),
        });
        continue;
      }
      const pruned = {
        ...item,
        untagOnly: decision.image.remainingTags.length > 0,
        bytes: imageBytesFreed(decision.image),
      };
      if (dryRun) {
        removed.push(pruned);
        continue;
      }
      say(`removing Docker image ${item.name}`);
      const references = decision.image.tags.length > 0 ? decision.image.tags : [decision.image.id];
      let refusal: string | undefined;
      for (const reference of references) refusal ??= await removeDockerImage(dockerSocket, reference);
      if (refusal === undefined) removed.push(pruned);
      else failed.push({ ...item, message: refusal });
    }

    return {
      cacheDir,
      dryRun,
      current,
      removed,
      kept,
      failed,
      docker: dockerCheck(docker, dockerSocket),
      freedBytes: removed.reduce((sum, item) => sum + item.bytes, 0),
    };
  } finally {
    release?.();
  }
}

function label(item: FolderItem | ImageItem): string {
  if (item.type === 'image') return `image  ${item.name}${item.tags.length === 0 ? ' (untagged)' : ''}`;
  return `folder ${item.name}${item.kind === 'leftover' ? ' (left by an interrupted build)' : ''}`;
}

/** The report for a person: one line per item, then the total. */
export function describePrune(report: PruneReport): string[] {
  if (report.current === null) return [`Nothing to prune: ${report.cacheDir} holds no sandbox image.`];
  const lines = [
    `Sandbox cache ${report.cacheDir} (current: ${report.current.version}, ${report.current.dockerImage})`,
  ];
  const verb = report.dryRun ? 'would remove' : 'removed';
  for (const item of report.removed) {
    const untag =
      item.type === 'image' && item.untagOnly ? ' (only the name: the image stays under another)' : '';
    lines.push(`  ${verb.padEnd(12)} ${label(item)}  ${formatSize(item.bytes)}${untag}`);
  }
  for (const item of report.kept) lines.push(`  ${'kept'.padEnd(12)} ${label(item)}: ${item.detail}`);
  for (const item of report.failed)
    lines.push(`  ${'not removed'.padEnd(12)} ${label(item)}: ${item.message}`);
  if (report.docker.status === 'unavailable')
    lines.push(`No Docker engine answers at ${report.docker.socket}, so Docker images were not checked.`);
  if (report.docker.status === 'failed')
    lines.push(`Docker images were not checked: ${report.docker.message}`);
  if (report.removed.length === 0 && report.failed.length === 0) lines.push('Nothing to prune.');
  else if (report.dryRun)
    lines.push(`Would free ${formatSize(report.freedBytes)}; nothing was removed (--dry-run).`);
  else lines.push(`Freed ${formatSize(report.freedBytes)}.`);
  return lines;
}
