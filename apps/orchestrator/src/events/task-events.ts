import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { eventSubject, type TaskEvent, type TaskEventKind } from '@steward/contracts';
import { readServiceCredentials, type RuntimeConfig } from '@steward/config';
import { BusClient, TaskEventLog } from '@steward/messaging';
import { RUNTIME_CONFIG } from '@steward/runtime';

/**
 * Publishes `events.orchestrator.task.<taskId>.<kind>` for the page, stored in the task event
 * stream so a page that reconnects (or a ui that restarted) replays what it missed. One writer
 * keeps every task's events in the order they were emitted. The task's record stays the truth:
 * an event that cannot be stored is logged and never stops a task.
 */
@Injectable()
export class TaskEvents implements OnApplicationShutdown {
  private readonly log = new Logger('task-events');
  private readonly writer: Promise<TaskEventLog | undefined>;

  constructor(
    @Inject(BusClient) private readonly bus: BusClient,
    @Inject(RUNTIME_CONFIG) config: RuntimeConfig,
  ) {
    this.writer = TaskEventLog.connect(
      'orchestrator',
      readServiceCredentials(config.paths, 'orchestrator'),
    ).catch((error: unknown) => {
      this.log.error(`task events are not stored (live only): ${String(error)}`);
      return undefined;
    });
  }

  emit(taskId: string, kind: TaskEventKind, data: Record<string, unknown>): void {
    const event: TaskEvent = { taskId, kind, at: new Date().toISOString(), data };
    const subject = eventSubject('orchestrator', 'task', taskId, kind);
    // Chained on one promise, so events keep their order even while the writer is connecting.
    void this.writer.then(async (writer) => {
      try {
        if (writer === undefined) this.bus.publish(subject, event);
        else await writer.append(subject, event);
      } catch (error) {
        this.log.warn(`task ${taskId}: the ${kind} event was not stored: ${String(error)}`);
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const writer = await this.writer;
    await writer?.flush().catch(() => undefined);
    await writer?.close().catch(() => undefined);
  }
}
