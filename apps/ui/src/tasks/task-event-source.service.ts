import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { readServiceCredentials, type RuntimeConfig } from '@steward/config';
import { TaskEventReader, type EventReplay, type ReplayOptions } from '@steward/messaging';
import { RUNTIME_CONFIG } from '@steward/runtime';

/**
 * The ui's reader of the task event stream, on a bus connection of its own (as the `ui` user),
 * opened on first use so the ui starts whether or not the stream exists yet.
 */
@Injectable()
export class TaskEventSource implements OnModuleDestroy {
  private reader: Promise<TaskEventReader> | undefined;

  constructor(@Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig) {}

  /** The task's events after stream sequence `afterSeq` (all when undefined), then live ones. */
  async replay(taskId: string, afterSeq: number | undefined, options?: ReplayOptions): Promise<EventReplay> {
    return (await this.open()).replay(`events.orchestrator.task.${taskId}.>`, afterSeq, options);
  }

  async onModuleDestroy(): Promise<void> {
    const reader = await this.reader?.catch(() => undefined);
    await reader?.close();
  }

  private open(): Promise<TaskEventReader> {
    this.reader ??= TaskEventReader.connect('ui', readServiceCredentials(this.config.paths, 'ui')).catch(
      (error: unknown) => {
        // Try again on the next page that asks, rather than keep a failed connection forever.
        this.reader = undefined;
        throw error;
      },
    );
    return this.reader;
  }
}
