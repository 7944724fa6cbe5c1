import { Inject, Injectable } from '@nestjs/common';
import { TASK_FAILURE_LIMITS, type TaskFailure } from '@steward/contracts';
import { DATABASE } from '@steward/runtime';
import { In, type DataSource, type Repository } from 'typeorm';
import { TaskRecord } from '../store/task.entities.js';

/** Read-only: the tasks that ended badly, for the admin view's recent errors. */
@Injectable()
export class TaskFailuresRepository {
  private readonly tasks: Repository<TaskRecord>;

  constructor(@Inject(DATABASE) database: DataSource) {
    this.tasks = database.getRepository(TaskRecord);
  }

  async recent(limit: number): Promise<TaskFailure[]> {
    const rows = await this.tasks.find({
      where: { status: In(['failed', 'interrupted']) },
      order: { updatedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
    return rows.map((task) => ({
      taskId: task.id,
      ...(task.parentId === null ? {} : { parentId: task.parentId }),
      status: task.status === 'interrupted' ? 'interrupted' : 'failed',
      prompt: task.prompt.slice(0, TASK_FAILURE_LIMITS.prompt),
      error: task.error ?? 'no reason was recorded',
      model: task.model,
      at: task.updatedAt,
    }));
  }
}
