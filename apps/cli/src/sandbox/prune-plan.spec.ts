import { describe, expect, it } from 'vitest';
import type { DockerContainerInfo, DockerImageInfo } from './docker-image.js';
import type { ProcessUse } from './process-users.js';
import {
  imageBytesFreed,
  planPrune,
  type CacheFolder,
  type DockerState,
  type FolderDecision,
  type ImageDecision,
  type PruneInput,
} from './prune-plan.js';

const CACHE = '/var/cache/steward/sandbox';
const CURRENT = '0823aa9006b8';
const OLD = '70da1eea9312';
const OTHER = '3f2a9c0d1e4b';

const version = (name: string): CacheFolder => ({ name, path: `${CACHE}/${name}`, kind: 'version' });
const leftover = (name: string): CacheFolder => ({ name, path: `${CACHE}/${name}`, kind: 'leftover' });

function input(overrides: Partial<PruneInput> = {}): PruneInput {
  return {
    current: {
      version: CURRENT,
      rootfs: `${CACHE}/${CURRENT}/rootfs`,
      dockerImage: `steward-sandbox:${CURRENT}`,
    },
    folders: [version(CURRENT), version(OLD)],
    users: new Map(),
    mounts: new Map(),
    docker: { status: 'unavailable' },
    ...overrides,
  };
}

const folderSummary = (decisions: readonly FolderDecision[]): string[] =>
  decisions.map((d) => `${d.action} ${d.folder.name}${d.action === 'keep' ? ` ${d.reason}` : ''}`);

const imageSummary = (decisions: readonly ImageDecision[] | undefined): string[] =>
  (decisions ?? []).map(
    (d) => `${d.action} ${d.image.tags.join(',') || d.image.id}${d.action === 'keep' ? ` ${d.reason}` : ''}`,
  );

const image = (id: string, tags: string[], bytes = 600e6): DockerImageInfo => ({ id, tags, bytes });
const container = (imageId: string, state: string, name = 'agent-1'): DockerContainerInfo => ({
  id: `c-${name}`,
  name,
  imageId,
  state,
});
const docker = (images: DockerImageInfo[], containers: DockerContainerInfo[] = []): DockerState => ({
  status: 'checked',
  images,
  containers,
});

describe('planPrune: folders', () => {
  it('keeps the version current.json names and removes the others', () => {
    const plan = planPrune(input({ folders: [version(OLD), version(CURRENT), version(OTHER)] }));
    expect(folderSummary(plan.folders)).toEqual([
      `keep ${CURRENT} current`,
      `remove ${OTHER}`,
      `remove ${OLD}`,
    ]);
  });

  it('keeps the folder holding the rootfs current.json names, whatever its name says', () => {
    const plan = planPrune(
      input({
        current: { version: OTHER, rootfs: `${CACHE}/${OLD}/rootfs`, dockerImage: 'steward-sandbox:x' },
      }),
    );
    expect(folderSummary(plan.folders)).toEqual([`remove ${CURRENT}`, `keep ${OLD} current`]);
  });

  it('keeps a version a running sandbox uses, naming the process', () => {
    const users: ProcessUse[] = [{ pid: 4242, program: 'bwrap', how: 'sandbox' }];
    const plan = planPrune(input({ users: new Map([[`${CACHE}/${OLD}`, users]]) }));
    const kept = plan.folders.find((d) => d.folder.name === OLD);
    expect(kept).toMatchObject({ action: 'keep', reason: 'in-use', users });
    expect(kept?.action === 'keep' && kept.detail).toBe('in use: pid 4242 (bwrap) binds it as a sandbox');
  });

  it('keeps a version with something mounted in it, but removes a leftover whose mounts a killed build left', () => {
    const build = leftover(`.build-${OLD}-77`);
    const plan = planPrune(
      input({
        folders: [version(CURRENT), version(OLD), build],
        mounts: new Map([
          [`${CACHE}/${OLD}`, [`${CACHE}/${OLD}/rootfs/mnt`]],
          [build.path, [`${build.path}/rootfs/proc`]],
        ]),
      }),
    );
    expect(folderSummary(plan.folders)).toEqual([
      `remove .build-${OLD}-77`,
      `keep ${CURRENT} current`,
      `keep ${OLD} mounted`,
    ]);
  });

  it('keeps a leftover a process still uses', () => {
    const old = leftover(`.old-${OLD}-12`);
    const plan = planPrune(
      input({
        folders: [old],
        users: new Map([[old.path, [{ pid: 9, program: 'bash', how: 'cwd' } satisfies ProcessUse]]]),
      }),
    );
    expect(folderSummary(plan.folders)).toEqual([`keep .old-${OLD}-12 in-use`]);
  });

  it('decides nothing about Docker images when no engine answered', () => {
    expect(planPrune(input()).images).toBeUndefined();
    expect(planPrune(input({ docker: { status: 'failed', message: 'boom' } })).images).toBeUndefined();
  });
});

describe('planPrune: Docker images', () => {
  it('keeps the current tag and removes every other steward-sandbox tag, freeing their size', () => {
    const plan = planPrune(
      input({
        docker: docker([
          image('sha256:cur', [`steward-sandbox:${CURRENT}`]),
          image('sha256:old', [`steward-sandbox:${OLD}`], 998e6),
        ]),
      }),
    );
    expect(imageSummary(plan.images)).toEqual([
      `keep steward-sandbox:${CURRENT} current`,
      `remove steward-sandbox:${OLD}`,
    ]);
    const removed = plan.images?.find((d) => d.action === 'remove');
    expect(removed && imageBytesFreed(removed.image)).toBe(998e6);
  });

  it('keeps an image a container uses, running or stopped', () => {
    for (const state of ['running', 'exited', 'created']) {
      const plan = planPrune(
        input({
          docker: docker([image('sha256:old', [`steward-sandbox:${OLD}`])], [container('sha256:old', state)]),
        }),
      );
      expect(imageSummary(plan.images)).toEqual([`keep steward-sandbox:${OLD} container`]);
      const kept = plan.images?.[0];
      expect(kept?.action === 'keep' && kept.detail).toBe(`used by container agent-1 (${state})`);
    }
  });

  it('removes a second name of the current image even when a container uses it: only the name goes, nothing is freed', () => {
    const plan = planPrune(
      input({
        docker: docker(
          [image('sha256:cur', [`steward-sandbox:${CURRENT}`, 'steward-sandbox:prunetest000'])],
          [container('sha256:cur', 'running')],
        ),
      }),
    );
    expect(imageSummary(plan.images)).toEqual([
      `keep steward-sandbox:${CURRENT} current`,
      'remove steward-sandbox:prunetest000',
    ]);
    const removed = plan.images?.find((d) => d.action === 'remove');
    expect(removed?.image.remainingTags).toEqual([`steward-sandbox:${CURRENT}`]);
    expect(removed && imageBytesFreed(removed.image)).toBe(0);
  });

  it("never removes a tag outside Steward's repository, and an image it still names is only untagged", () => {
    const plan = planPrune(
      input({
        docker: docker(
          [image('sha256:old', [`steward-sandbox:${OLD}`, 'mine:latest'])],
          [container('sha256:old', 'exited')],
        ),
      }),
    );
    expect(imageSummary(plan.images)).toEqual([`remove steward-sandbox:${OLD}`]);
    expect(plan.images?.[0]?.image.remainingTags).toEqual(['mine:latest']);
  });

  it('removes every old tag of one image together, and its size once', () => {
    const plan = planPrune(
      input({
        docker: docker([image('sha256:old', [`steward-sandbox:${OLD}`, `steward-sandbox:${OTHER}`])]),
      }),
    );
    expect(imageSummary(plan.images)).toEqual([`remove steward-sandbox:${OLD},steward-sandbox:${OTHER}`]);
    const removed = plan.images?.[0];
    expect(removed && imageBytesFreed(removed.image)).toBe(600e6);
  });

  it('removes a dangling Steward image (left by a forced re-import) by id, unless a container uses it', () => {
    const free = planPrune(input({ docker: docker([image('sha256:dangling', [])]) }));
    expect(imageSummary(free.images)).toEqual(['remove sha256:dangling']);
    const used = planPrune(
      input({ docker: docker([image('sha256:dangling', [])], [container('sha256:dangling', 'exited')]) }),
    );
    expect(imageSummary(used.images)).toEqual(['keep sha256:dangling container']);
  });
});
