import { Inject, Injectable, Logger } from '@nestjs/common';
import { eventSubject, type TaskEvent, type TaskEventKind } from '@steward/contracts';
import { BusClient } from '@steward/messaging';

/**
 * Publishes `events.orchestrator.task.<taskId>.<kind>` for the page. Events tell what changed; the
 * task's record in the database stays the truth, so a failed publish is logged and never stops a
 * task.
 */
@Injectable()
export class TaskEvents {
  private readonly log = new Logger('task-events');

  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  emit(taskId: string, kind: TaskEventKind, data: Record<string, unknown>): void {
    const event: TaskEvent = { taskId, kind, at: new Date().toISOString(), data };
    try {
      this.bus.publish(eventSubject('orchestrator', 'task', taskId, kind), event);
    } catch (error) {
      this.log.warn(`task ${taskId}: the ${kind} event was not published: ${String(error)}`);
    }
  }
}
