import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { eventSubject, type TaskEvent, type TaskEventKind } from '@steward/contracts';
import { readServiceCredentials, type RuntimeConfig } from '@steward/config';
import { BusClient, TaskEventLog } from '@steward/messaging';
import { RUNTIME_CONFIG } from '@steward/runtime';

interface Queued {
  readonly subject: string;
  readonly event: TaskEvent;
}

/**
 * Publishes `events.orchestrator.task.<taskId>.<kind>` for the page, stored in the task event
 * stream so a page that reconnects (or a ui that restarted) replays what it missed. One writer
 * keeps every task's events in the order they were emitted. The task's record stays the truth:
 * an event that cannot be stored is logged and never stops a task.
 *
 * Events are handed to the writer once per turn of the event loop, after the work that emitted
 * them: a tool call's request to its service goes out first and the events ride along in one
 * socket write while the service works, instead of each paying its own write on the call's path.
 * Text deltas of one task that queue up back to back become one event (the page appends deltas,
 * so the text it shows is the same).
 */
@Injectable()
export class TaskEvents implements OnApplicationShutdown {
  private readonly log = new Logger('task-events');
  private readonly writer: Promise<TaskEventLog | undefined>;
  private queue: Queued[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Settles once everything handed to the writer so far was stored (or given up on). */
  private written: Promise<void> = Promise.resolve();

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
    const last = this.queue.at(-1);
    if (kind === 'text' && last?.event.kind === 'text' && last.event.taskId === taskId) {
      const delta = data['delta'];
      const before = last.event.data['delta'];
      if (typeof delta === 'string' && typeof before === 'string' && last.event.data['restart'] !== true) {
        this.queue[this.queue.length - 1] = {
          subject: last.subject,
          event: { ...last.event, data: { ...last.event.data, delta: before + delta } },
        };
        return;
      }
    }
    const event: TaskEvent = { taskId, kind, at: new Date().toISOString(), data };
    this.queue.push({ subject: eventSubject('orchestrator', 'task', taskId, kind), event });
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    // Chained on one promise, so batches keep their order even while the writer is connecting.
    this.written = this.written.then(async () => {
      const writer = await this.writer;
      const stored = batch.map(({ subject, event }) => {
        try {
          if (writer === undefined) {
            this.bus.publish(subject, event);
            return Promise.resolve();
          }
          return writer.append(subject, event).then(
            () => undefined,
            (error: unknown) => this.lost(event, error),
          );
        } catch (error) {
          this.lost(event, error);
          return Promise.resolve();
        }
      });
      // Appends are pipelined by the writer; the next batch only waits for this one to be handed over.
      void Promise.all(stored);
    });
  }

  private lost(event: TaskEvent, error: unknown): void {
    this.log.warn(`task ${event.taskId}: the ${event.kind} event was not stored: ${String(error)}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.flush();
    }
    await this.written;
    const writer = await this.writer;
    await writer?.flush().catch(() => undefined);
    await writer?.close().catch(() => undefined);
  }
}
