import type { DockerContainerInfo, DockerImageInfo } from './docker-image.js';
import { DOCKER_REPOSITORY } from './docker-image.js';
import { isWithin, type ProcessUse } from './process-users.js';

/**
 * A folder in the sandbox cache that pruning may remove: a built `version`, or a `leftover` of an
 * interrupted build (`.build-*`) or of a replaced version not yet removed (`.old-*`).
 */
export interface CacheFolder {
  readonly name: string;
  readonly path: string;
  readonly kind: 'version' | 'leftover';
}

/** What current.json says is in use: its version's folder and Docker tag are never pruned. */
export interface CurrentImage {
  readonly version: string;
  readonly rootfs: string;
  readonly dockerImage: string;
}

export type DockerState =
  | {
      readonly status: 'checked';
      readonly images: readonly DockerImageInfo[];
      readonly containers: readonly DockerContainerInfo[];
    }
  | { readonly status: 'unavailable' }
  | { readonly status: 'failed'; readonly message: string };

export interface PruneInput {
  readonly current: CurrentImage;
  readonly folders: readonly CacheFolder[];
  /** Running processes using each folder, by folder path. */
  readonly users: ReadonlyMap<string, readonly ProcessUse[]>;
  /** Mount points at or below each folder, by folder path. */
  readonly mounts: ReadonlyMap<string, readonly string[]>;
  readonly docker: DockerState;
}

export type KeepReason = 'current' | 'in-use' | 'mounted' | 'container';

export type FolderDecision =
  | { readonly action: 'remove'; readonly folder: CacheFolder }
  | {
      readonly action: 'keep';
      readonly folder: CacheFolder;
      readonly reason: KeepReason;
      readonly detail: string;
      readonly users?: readonly ProcessUse[];
    };

export interface ImageTarget {
  readonly id: string;
  /** The Steward tags this decision is about; empty for a dangling image (removed by id). */
  readonly tags: readonly string[];
  /** Tags the image keeps after pruning: when any is left, removal only untags and frees nothing. */
  readonly remainingTags: readonly string[];
  readonly bytes: number;
}

export type ImageDecision =
  | { readonly action: 'remove'; readonly image: ImageTarget }
  | {
      readonly action: 'keep';
      readonly image: ImageTarget;
      readonly reason: KeepReason;
      readonly detail: string;
      readonly containers?: readonly DockerContainerInfo[];
    };

export interface PrunePlan {
  readonly folders: readonly FolderDecision[];
  /** Undefined when Docker was not checked (no engine, or listing failed). */
  readonly images: readonly ImageDecision[] | undefined;
}

const HOW: Readonly<Record<ProcessUse['how'], string>> = {
  sandbox: 'binds it as a sandbox',
  argument: 'names it on its command line',
  root: 'is chrooted into it',
  cwd: 'works inside it',
};

export function describeUsers(users: readonly ProcessUse[]): string {
  return users.map((user) => `pid ${user.pid} (${user.program}) ${HOW[user.how]}`).join('; ');
}

function decideFolder(folder: CacheFolder, input: PruneInput): FolderDecision {
  const { current } = input;
  if (folder.kind === 'version' && (folder.name === current.version || isWithin(current.rootfs, folder.path)))
    return { action: 'keep', folder, reason: 'current', detail: 'named by current.json' };
  const users = input.users.get(folder.path) ?? [];
  if (users.length > 0)
    return { action: 'keep', folder, reason: 'in-use', detail: `in use: ${describeUsers(users)}`, users };
  const mounts = input.mounts.get(folder.path) ?? [];
  // A leftover's mounts are the /proc a killed build left in its chroot: unmounted, then removed.
  if (folder.kind === 'version' && mounts.length > 0)
    return {
      action: 'keep',
      folder,
      reason: 'mounted',
      detail: `something is mounted in it: ${mounts.join(', ')}`,
    };
  return { action: 'remove', folder };
}

const isStewardTag = (tag: string): boolean => tag.startsWith(`${DOCKER_REPOSITORY}:`);

function describeContainers(containers: readonly DockerContainerInfo[]): string {
  return containers.map((container) => `${container.name} (${container.state})`).join(', ');
}

/**
 * The decisions about one image: its Steward tags other than the current one go, unless that
 * would delete an image a container (running or stopped) was created from. Removing tags that
 * leave the image named otherwise (by the current tag, or a tag outside Steward's) deletes
 * nothing, so then containers do not hold them back. The current tag is reported as kept.
 */
function decideImage(
  image: DockerImageInfo,
  currentTag: string,
  containers: readonly DockerContainerInfo[],
): ImageDecision[] {
  const candidates = image.tags.filter((tag) => isStewardTag(tag) && tag !== currentTag);
  const remainingTags = image.tags.filter((tag) => !candidates.includes(tag));
  const decisions: ImageDecision[] = [];
  if (image.tags.includes(currentTag)) {
    decisions.push({
      action: 'keep',
      image: { id: image.id, tags: [currentTag], remainingTags: image.tags, bytes: image.bytes },
      reason: 'current',
      detail: 'named by current.json',
    });
  }
  // Tagged, yet none of the tags is Steward's to remove: nothing to decide.
  if (candidates.length === 0 && image.tags.length > 0) return decisions;
  const target: ImageTarget = { id: image.id, tags: candidates, remainingTags, bytes: image.bytes };
  const users = containers.filter((container) => container.imageId === image.id);
  if (remainingTags.length === 0 && users.length > 0) {
    decisions.push({
      action: 'keep',
      image: target,
      reason: 'container',
      detail: `used by container ${describeContainers(users)}`,
      containers: users,
    });
  } else {
    decisions.push({ action: 'remove', image: target });
  }
  return decisions;
}

/** Bytes a decision to remove frees: an image still named by another tag stays whole. */
export function imageBytesFreed(image: ImageTarget): number {
  return image.remainingTags.length === 0 ? image.bytes : 0;
}

/** What pruning removes and what it keeps, and why; it reads nothing and changes nothing itself. */
export function planPrune(input: PruneInput): PrunePlan {
  const folders = [...input.folders]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((folder) => decideFolder(folder, input));
  if (input.docker.status !== 'checked') return { folders, images: undefined };
  const { containers } = input.docker;
  const key = (image: DockerImageInfo): string => [...image.tags].sort()[0] ?? image.id;
  const images = [...input.docker.images]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .flatMap((image) => decideImage(image, input.current.dockerImage, containers));
  return { folders, images };
}
