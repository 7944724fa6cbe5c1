import { lstatSync, realpathSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_BROWSE_FOLDERS,
  StewardError,
  type BrowseFolder,
  type fsRootsBrowse,
  type RpcResponse,
} from '@steward/contracts';
import { folderAllowedByPolicy, PolicyStore, policyValue, type RuntimeConfig } from '@steward/config';
import { RUNTIME_CONFIG } from '@steward/runtime';
import { DeniedPaths } from '../access/denied-paths.js';
import { toStewardError } from '../containment/fs-errors.js';
import { isInsideStewardHome, isWithin, validateRequestedPath } from '../containment/path-rules.js';
import { fdPath, openInside, type OpenOptions } from '../containment/safe-open.js';
import { TaskRoots } from '../containment/task-roots.js';

type BrowseResult = RpcResponse<typeof fsRootsBrowse>;

/** Entries of one folder looked at before the rest are only counted, so a huge folder stays cheap. */
const MAX_SCANNED_ENTRIES = 50_000;
/** Links resolved per listing: each is a contained walk of its own. */
const MAX_LINKS_RESOLVED = 2 * MAX_BROWSE_FOLDERS;

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
const byName = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** Where browsing may go: each root with what the containment walk needs to stay inside them. */
interface BrowseScope {
  readonly roots: TaskRoots;
  readonly open: OpenOptions;
  readonly denied: DeniedPaths;
  /** The allowed folders, when policy lists them (the starting list); undefined: anywhere. */
  readonly listed: readonly string[] | undefined;
}

/**
 * The folder dialog's view of the person's disk: subfolders only, within the folders managed policy
 * lets a person connect (anywhere but Steward's own home when it lists none). Every folder is
 * reached through the same contained walk the file tools use, so a link leading out of those folders,
 * or into Steward's home, is never followed.
 */
@Injectable()
export class FolderBrowser {
  constructor(
    @Inject(PolicyStore) private readonly policy: PolicyStore,
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async browse(requested: string | undefined): Promise<BrowseResult> {
    const scope = this.scope();
    let target = requested;
    if (target === undefined) {
      if (scope.listed === undefined) target = this.personHome(scope);
      else if (scope.roots.roots.length === 1) target = scope.roots.roots[0];
      else return this.startingList(scope);
      if (target === undefined) return this.startingList(scope);
    }
    const shown = target;
    const normalized = validateRequestedPath(shown);
    if (scope.roots.rootOf(normalized) === undefined) {
      throw new StewardError('DENIED_BY_POLICY', `your organization does not allow connecting ${shown}`, {
        details: { allowed: scope.listed ?? null },
      });
    }
    const opened = await openInside(scope.roots, normalized, { kind: 'list-dir' }, scope.open).catch(
      (error: unknown) => {
        // The walk words it for a task's folders; here they are the folders a person may connect.
        if (error instanceof StewardError && error.code === 'OUTSIDE_ROOT') {
          throw new StewardError('OUTSIDE_ROOT', `${shown} leads outside the folders you may connect`);
        }
        throw error;
      },
    );
    try {
      if (opened.fd === undefined) {
        throw new StewardError('FORBIDDEN', `the operating system denies Steward access to ${shown}`);
      }
      const names = await readdir(fdPath(opened.fd), { withFileTypes: true }).catch((error: unknown) => {
        throw toStewardError(error, shown);
      });
      const { folders, more } = await this.subfolders(scope, opened.realPath, opened.root, names);
      const parent = opened.isRoot ? undefined : path.posix.dirname(opened.realPath);
      const connectable = this.connectable(opened.realPath);
      return {
        path: opened.realPath,
        root: opened.root,
        ...(parent === undefined ? {} : { parent }),
        folders,
        more,
        connectable: connectable === undefined,
        ...(connectable === undefined ? {} : { reason: connectable }),
      };
    } finally {
      await opened.close();
    }
  }

  private scope(): BrowseScope {
    const policy = this.policy.current;
    const allowed = policyValue(policy, 'folders.allowed');
    const stewardHome = realOrSelf(this.config.paths.home);
    // Deny-everything (`**`, or a pattern that failed closed) says the agent reads nothing inside
    // connected folders; it does not say which folders a person may see to connect.
    const patterns = policyValue(policy, 'folders.deniedPatterns').filter((p) => p !== '**' && p !== '/**');
    const denied = new DeniedPaths(patterns);
    const open: OpenOptions = {
      stewardHome,
      ...(denied.empty ? {} : { deniedPattern: (real: string, root: string) => denied.match(real, root) }),
    };
    if (allowed === null) return { roots: new TaskRoots(['/']), open, denied, listed: undefined };
    return { roots: new TaskRoots(existingOutermost(allowed)), open, denied, listed: allowed };
  }

  /** The person's home as a real path, when browsing may start there. */
  private personHome(scope: BrowseScope): string | undefined {
    const home = realOrSelf(homedir());
    return scope.roots.rootOf(home) === undefined ? undefined : home;
  }

  /** Policy lists several folders: they are where browsing starts, and nothing above them is shown. */
  private startingList(scope: BrowseScope): BrowseResult {
    const folders: BrowseFolder[] = scope.roots.roots
      .filter((root) => this.connectable(root) === undefined)
      .map((root) => ({ name: root, path: root, hidden: false, link: false }))
      .sort((a, b) => byName(a.path, b.path));
    return {
      folders,
      more: 0,
      connectable: false,
      reason:
        folders.length === 0
          ? 'none of the folders your organization allows exists on this device'
          : 'choose one of the folders your organization allows',
    };
  }

  /** What fs.task.open would refuse this real folder for, if anything. */
  private connectable(real: string): string | undefined {
    if (isInsideStewardHome(real, realOrSelf(this.config.paths.home))) {
      return "it holds Steward's own home (credentials, trash, journal)";
    }
    if (!folderAllowedByPolicy(this.policy.current, real)) {
      return 'your organization does not allow connecting this folder';
    }
    return undefined;
  }

  private async subfolders(
    scope: BrowseScope,
    folder: string,
    root: string,
    entries: readonly Dirent[],
  ): Promise<{ folders: BrowseFolder[]; more: number }> {
    const home = scope.open.stewardHome;
    const candidates: { name: string; link: boolean }[] = [];
    let scanned = 0;
    let unscanned = 0;
    for (const entry of entries) {
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      scanned += 1;
      if (scanned > MAX_SCANNED_ENTRIES) {
        unscanned += 1;
        continue;
      }
      candidates.push({ name: entry.name, link: entry.isSymbolicLink() });
    }
    candidates.sort((a, b) => byName(a.name, b.name));
    const folders: BrowseFolder[] = [];
    let linksResolved = 0;
    let index = 0;
    for (; index < candidates.length && folders.length < MAX_BROWSE_FOLDERS; index += 1) {
      const { name, link } = candidates[index] ?? { name: '', link: false };
      const lexical = path.posix.join(folder, name);
      const hidden = name.startsWith('.');
      if (!link) {
        if (home !== undefined && isInsideStewardHome(lexical, home)) continue;
        if (scope.denied.match(lexical, root) !== undefined) continue;
        folders.push({ name, path: lexical, hidden, link: false });
        continue;
      }
      if (linksResolved >= MAX_LINKS_RESOLVED) continue;
      linksResolved += 1;
      const target = await this.linkTarget(scope, lexical);
      if (target !== undefined) folders.push({ name, path: target, hidden, link: true });
    }
    // Links past the resolving budget are not counted: whether they lead to a folder is unknown.
    const rest = candidates.slice(index).filter((candidate) => !candidate.link).length;
    return { folders, more: rest + unscanned };
  }

  /**
   * Where a link leads, when that is a folder that may be browsed. The walk judges the link's target
   * before touching it: a link out of the allowed folders or into Steward's home is left out.
   */
  private async linkTarget(scope: BrowseScope, lexical: string): Promise<string | undefined> {
    try {
      const opened = await openInside(scope.roots, lexical, { kind: 'stat' }, scope.open);
      try {
        return opened.stats?.isDirectory() === true ? opened.realPath : undefined;
      } finally {
        await opened.close();
      }
    } catch {
      return undefined;
    }
  }
}

function realOrSelf(target: string): string {
  try {
    return realpathSync(target);
  } catch {
    return path.resolve(target);
  }
}

/**
 * The allowed folders that exist as real folders, outermost only. A listed path that is itself a
 * link holds nothing `folderAllowedByPolicy` accepts (it compares real paths), so it is no root.
 */
function existingOutermost(allowed: readonly string[]): string[] {
  const real = new Set<string>();
  for (const entry of allowed) {
    const resolved = path.resolve(entry);
    try {
      if (realpathSync(resolved) === resolved && lstatSync(resolved).isDirectory()) real.add(resolved);
    } catch {
      // Not on this device: nothing to browse there.
    }
  }
  return [...real].filter((root) => ![...real].some((other) => other !== root && isWithin(other, root)));
}
