import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  FINAL_TASK_STATUSES,
  PROJECT_LIMITS,
  StewardError,
  type ProjectView,
  type RpcRequest,
  type orchestratorProjectCreate,
  type orchestratorProjectUpdate,
} from '@steward/contracts';
import { DATABASE } from '@steward/runtime';
import type { DataSource, Repository } from 'typeorm';
import { ProjectRecord } from './project.entity.js';

const nameKey = (name: string): string => name.trim().normalize('NFKC').toLocaleLowerCase('en-US');
const ENDED = FINAL_TASK_STATUSES.map((status) => `'${status}'`).join(', ');

interface TaskCounts {
  readonly total: number;
  readonly active: number;
}

/** The orchestrator's projects, in its own database beside the tasks that name them. */
@Injectable()
export class ProjectStore {
  private readonly projects: Repository<ProjectRecord>;

  constructor(@Inject(DATABASE) private readonly database: DataSource) {
    this.projects = database.getRepository(ProjectRecord);
  }

  async create(input: RpcRequest<typeof orchestratorProjectCreate>): Promise<ProjectView> {
    if ((await this.projects.count()) >= PROJECT_LIMITS.projects) {
      throw new StewardError('TOO_LARGE', `there can be at most ${PROJECT_LIMITS.projects} projects`);
    }
    await this.refuseTakenName(input.name);
    const at = new Date().toISOString();
    const record: ProjectRecord = {
      id: `p_${randomBytes(9).toString('base64url')}`,
      name: input.name.trim(),
      nameKey: nameKey(input.name),
      instructions: input.instructions ?? '',
      folders: JSON.stringify(input.folders ?? []),
      createdAt: at,
      updatedAt: at,
    };
    await this.projects.insert(record).catch((error: unknown) => this.nameTaken(error, input.name));
    return this.viewOf(record, { total: 0, active: 0 });
  }

  async list(): Promise<ProjectView[]> {
    const [records, counts] = await Promise.all([
      this.projects.find({ order: { nameKey: 'ASC' } }),
      this.counts(),
    ]);
    return records.map((record) => this.viewOf(record, counts.get(record.id)));
  }

  async get(projectId: string): Promise<ProjectView> {
    const record = await this.record(projectId);
    return this.viewOf(record, (await this.counts(projectId)).get(projectId));
  }

  /** The project's instructions, or undefined when it has none or is gone (its tasks carry on). */
  async instructions(projectId: string | null): Promise<string | undefined> {
    if (projectId === null) return undefined;
    const record = await this.projects.findOneBy({ id: projectId });
    const text = record?.instructions.trim() ?? '';
    return text === '' ? undefined : text;
  }

  /** Refuses a project that does not exist: a task named for one must be able to find it. */
  async require(projectId: string): Promise<void> {
    await this.record(projectId);
  }

  async update(input: RpcRequest<typeof orchestratorProjectUpdate>): Promise<ProjectView> {
    const record = await this.record(input.projectId);
    if (input.name !== undefined && nameKey(input.name) !== record.nameKey) {
      await this.refuseTakenName(input.name);
    }
    const next: ProjectRecord = {
      ...record,
      ...(input.name === undefined ? {} : { name: input.name.trim(), nameKey: nameKey(input.name) }),
      ...(input.instructions === undefined ? {} : { instructions: input.instructions }),
      ...(input.folders === undefined ? {} : { folders: JSON.stringify(input.folders) }),
      updatedAt: new Date().toISOString(),
    };
    await this.projects.save(next).catch((error: unknown) => this.nameTaken(error, next.name));
    return this.get(record.id);
  }

  /**
   * Deletes a project whose tasks have all ended; they (and their sub-agents) stay, outside any
   * project. Counted like the project's view: top-level tasks, a sub-agent being part of its parent.
   */
  async delete(projectId: string): Promise<{ deleted: true; tasksKept: number }> {
    await this.record(projectId);
    return this.database.transaction(async (manager) => {
      const [row] = (await manager.query(
        `SELECT COUNT(*) AS "total", SUM(CASE WHEN "status" IN (${ENDED}) THEN 0 ELSE 1 END) AS "active" ` +
          `FROM "task" WHERE "project_id" = ? AND "parent_id" IS NULL`,
        [projectId],
      )) as Array<{ total: number; active: number | null }>;
      const active = row?.active ?? 0;
      if (active > 0) {
        throw new StewardError(
          'CONFLICT',
          `the project has ${active} task${active === 1 ? '' : 's'} still running: cancel or finish them first`,
          { details: { activeTasks: active } },
        );
      }
      await manager.query(`UPDATE "task" SET "project_id" = NULL WHERE "project_id" = ?`, [projectId]);
      await manager.delete(ProjectRecord, { id: projectId });
      return { deleted: true as const, tasksKept: row?.total ?? 0 };
    });
  }

  private async record(projectId: string): Promise<ProjectRecord> {
    const record = await this.projects.findOneBy({ id: projectId });
    if (record === null) throw new StewardError('NOT_FOUND', `there is no project ${projectId}`);
    return record;
  }

  /**
   * Two requests for one name at once both pass the check above; the unique index refuses the
   * second, which is the same answer as the check's.
   */
  private nameTaken(error: unknown, name: string): never {
    if (/UNIQUE constraint failed: project\.name_key/.test(String(error))) {
      throw new StewardError('EXISTS', `a project named "${name.trim()}" already exists`);
    }
    throw error;
  }

  private async refuseTakenName(name: string): Promise<void> {
    if ((await this.projects.countBy({ nameKey: nameKey(name) })) > 0) {
      throw new StewardError('EXISTS', `a project named "${name.trim()}" already exists`);
    }
  }

  /** Top-level tasks per project (sub-agents are part of their parent's work, not counted). */
  private async counts(projectId?: string): Promise<Map<string, TaskCounts>> {
    const rows = (await this.database.query(
      `SELECT "project_id" AS "projectId", COUNT(*) AS "total", ` +
        `SUM(CASE WHEN "status" IN (${ENDED}) THEN 0 ELSE 1 END) AS "active" FROM "task" ` +
        `WHERE "parent_id" IS NULL AND "project_id" ${projectId === undefined ? 'IS NOT NULL' : '= ?'} ` +
        `GROUP BY "project_id"`,
      projectId === undefined ? [] : [projectId],
    )) as Array<{ projectId: string; total: number; active: number | null }>;
    return new Map(rows.map((row) => [row.projectId, { total: row.total, active: row.active ?? 0 }]));
  }

  private viewOf(record: ProjectRecord, counts: TaskCounts | undefined): ProjectView {
    return {
      id: record.id,
      name: record.name,
      instructions: record.instructions,
      folders: JSON.parse(record.folders) as string[],
      taskCount: counts?.total ?? 0,
      activeTaskCount: counts?.active ?? 0,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }
}
