import { lstat, realpath } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { StewardError } from '@steward/contracts';
import { folderAllowedByPolicy, PolicyStore, policyValue, type RuntimeConfig } from '@steward/config';
import { DATABASE, RUNTIME_CONFIG } from '@steward/runtime';
import { IsNull, type DataSource, type Repository } from 'typeorm';
import { isInsideStewardHome, isWithin } from '../containment/path-rules.js';
import type { OpenOptions } from '../containment/safe-open.js';
import { TaskRoots } from '../containment/task-roots.js';
import { FsTaskRecord } from '../store/fs-records.entity.js';
import { DeniedPaths } from './denied-paths.js';

/** Everything one request of a task needs to decide what it may touch. */
export interface TaskAccess {
  readonly taskId: string;
  readonly roots: TaskRoots;
  readonly denied: DeniedPaths;
  readonly open: OpenOptions;
  readonly bulkDeleteThreshold: number;
}

/**
 * The folders each task was opened with, persisted so a restart of fs-service does not lose them,
 * and the policy that applies to them, read afresh for every request: a folder the organization
 * stops allowing is refused from the next request on.
 */
@Injectable()
export class FsAccess {
  private readonly tasks: Repository<FsTaskRecord>;
  private readonly cache = new Map<string, TaskRoots>();

  constructor(
    @Inject(DATABASE) database: DataSource,
    @Inject(PolicyStore) private readonly policy: PolicyStore,
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
  ) {
    this.tasks = database.getRepository(FsTaskRecord);
  }

  get stewardHome(): string {
    return this.config.paths.home;
  }

  /** Connects folders to a task: each must exist, be a folder, and be allowed by policy. */
  async openTask(taskId: string, folders: readonly string[]): Promise<{ path: string; realPath: string }[]> {
    const resolved: { path: string; realPath: string }[] = [];
    for (const folder of folders) {
      const real = await realpath(folder).catch((error: NodeJS.ErrnoException) => {
        throw new StewardError('NOT_FOUND', `${folder} does not exist or cannot be reached`, {
          details: { path: folder, errno: error.code },
        });
      });
      const stats = await lstat(real);
      if (!stats.isDirectory()) throw new StewardError('INVALID_INPUT', `${folder} is not a folder`);
      this.checkAllowed(real, folder);
      resolved.push({ path: folder, realPath: real });
    }
    // A folder inside another connected folder is already reachable through it.
    const outermost = resolved
      .map((entry) => entry.realPath)
      .filter(
        (real, index, all) => !all.some((other, j) => j !== index && other !== real && isWithin(other, real)),
      );
    const roots = new TaskRoots([...new Set(outermost)]);
    await this.tasks.save({
      taskId,
      roots: JSON.stringify(roots.roots),
      openedAt: new Date().toISOString(),
      closedAt: null,
    });
    this.cache.set(taskId, roots);
    return resolved;
  }

  async closeTask(taskId: string): Promise<boolean> {
    this.cache.delete(taskId);
    const result = await this.tasks.update(
      { taskId, closedAt: IsNull() },
      { closedAt: new Date().toISOString() },
    );
    return (result.affected ?? 0) > 0;
  }

  /** The access a request of `taskId` has right now. */
  async forTask(taskId: string): Promise<TaskAccess> {
    return this.accessTo(taskId, await this.rootsOf(taskId));
  }

  private accessTo(taskId: string, roots: TaskRoots): TaskAccess {
    const policy = this.policy.current;
    for (const root of roots.roots) this.checkAllowed(root, root);
    const denied = new DeniedPaths(policyValue(policy, 'folders.deniedPatterns'));
    return {
      taskId,
      roots,
      denied,
      bulkDeleteThreshold: policyValue(policy, 'fs.deleteBulkThreshold'),
      open: {
        allowProtectedWrites: policyValue(policy, 'fs.allowProtectedWrites'),
        stewardHome: this.config.paths.home,
        ...(denied.empty ? {} : { deniedPattern: (real: string, root: string) => denied.match(real, root) }),
      },
    };
  }

  /** Access limited to one connected folder, for a person's restore from the trash. */
  forRoot(root: string): TaskAccess {
    return this.accessTo('trash', new TaskRoots([root]));
  }

  /** Access to the folders a task was opened with, even after it ended: undo runs then too. */
  async forRecordedTask(taskId: string): Promise<TaskAccess> {
    const roots = await this.recordedRoots(taskId);
    if (roots.length === 0) throw new StewardError('NOT_FOUND', `task ${taskId} never had connected folders`);
    return this.accessTo(taskId, new TaskRoots(roots));
  }

  /** The roots recorded for a task, open or closed (undo works after a task ended). */
  async recordedRoots(taskId: string): Promise<string[]> {
    const record = await this.tasks.findOneBy({ taskId });
    return record === null ? [] : (JSON.parse(record.roots) as string[]);
  }

  private async rootsOf(taskId: string): Promise<TaskRoots> {
    const cached = this.cache.get(taskId);
    if (cached !== undefined) return cached;
    const record = await this.tasks.findOneBy({ taskId });
    if (record === null || record.closedAt !== null) {
      throw new StewardError(
        'NOT_FOUND',
        record === null
          ? `task ${taskId} has no connected folders`
          : `task ${taskId} has ended; its folders are no longer connected`,
      );
    }
    const roots = new TaskRoots(JSON.parse(record.roots) as string[]);
    this.cache.set(taskId, roots);
    return roots;
  }

  private checkAllowed(real: string, shown: string): void {
    if (isInsideStewardHome(real, this.config.paths.home)) {
      throw new StewardError(
        'DENIED_BY_POLICY',
        `${shown} holds Steward's own home (credentials, trash, journal) and cannot be connected`,
      );
    }
    if (!folderAllowedByPolicy(this.policy.current, real)) {
      throw new StewardError('DENIED_BY_POLICY', `your organization does not allow connecting ${shown}`, {
        details: { allowed: policyValue(this.policy.current, 'folders.allowed') },
      });
    }
  }
}
