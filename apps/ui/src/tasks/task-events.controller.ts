import { Controller, Get, Headers, Inject, Logger, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { isStewardError, taskEventSchema } from '@steward/contracts';
import type { EventReplay } from '@steward/messaging';
import { TaskEventSource } from './task-event-source.service.js';
import { parseAddress, parseTaskId, streamSequenceSchema, taskEventsQuerySchema } from './task-input.js';

/** How often an idle stream sends a comment, so proxies and the browser keep it open. */
export const SSE_HEARTBEAT_MS = Symbol('steward.ui.sse-heartbeat-ms');
/** What the page's EventSource waits before reconnecting after the stream ends. */
const RECONNECT_MS = 2_000;

/**
 * `GET /api/tasks/:id/events`: the task's events as server-sent events, read from the task event
 * stream, so a page that reconnects gets exactly what it missed — across restarts of the ui and
 * the orchestrator. `id:` is the event's stream sequence, `event:` its kind, `data:` the TaskEvent.
 */
@Controller('api/tasks')
export class TaskEventsController {
  private readonly log = new Logger('tasks:events');

  constructor(
    @Inject(TaskEventSource) private readonly events: TaskEventSource,
    @Inject(SSE_HEARTBEAT_MS) private readonly heartbeatMs: number,
  ) {}

  /** `Last-Event-ID` (sent by a reconnecting EventSource) or `?after=` resumes after that event. */
  @Get(':id/events')
  async stream(
    @Param('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query() query: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const taskId = parseTaskId(id);
    const { after } = parseAddress(taskEventsQuerySchema, query, 'the query');
    // The header wins: it is newer than the `?after=` of the address the page first opened.
    const resumeFrom = lastEventId ?? after;
    const afterSeq =
      resumeFrom === undefined
        ? undefined
        : parseAddress(streamSequenceSchema, resumeFrom, 'the last event id');

    let gone = false;
    const closed = new Promise<void>((resolve) =>
      res.once('close', () => {
        gone = true;
        resolve();
      }),
    );
    // Opened before answering, so a refusal is still an error envelope with its status.
    const replay = await this.events.replay(taskId, afterSeq, {
      onMalformed: (seq) => this.log.warn(`task ${taskId}: skipped event ${seq}, its body cannot be read`),
    });
    if (gone || !res.socket || res.socket.destroyed) {
      await replay.close().catch(() => undefined);
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: ${RECONNECT_MS}\n\n`);

    const heartbeat = setInterval(() => res.write(': keepalive\n\n'), this.heartbeatMs);
    // Closing the page ends the loop below and releases the consumer on the server.
    void closed.then(() => {
      clearInterval(heartbeat);
      return replay.close().catch(() => undefined);
    });
    try {
      await this.forward(taskId, replay, res, closed);
    } catch (error) {
      // The page reconnects with Last-Event-ID and picks up where this stream stopped.
      const reason = isStewardError(error) ? `${error.code}: ${error.message}` : String(error);
      this.log.warn(`task ${taskId}: event stream ended early (${reason})`);
    } finally {
      clearInterval(heartbeat);
      await replay.close().catch(() => undefined);
      if (!res.writableEnded) res.end();
    }
  }

  private async forward(
    taskId: string,
    replay: EventReplay,
    res: Response,
    closed: Promise<void>,
  ): Promise<void> {
    for await (const stored of replay) {
      const event = taskEventSchema.safeParse(stored.body);
      if (!event.success || event.data.taskId !== taskId) {
        this.log.warn(`task ${taskId}: skipped event ${stored.seq}, it is not a task event of this task`);
        continue;
      }
      const frame = `id: ${stored.seq}\nevent: ${event.data.kind}\ndata: ${JSON.stringify(event.data)}\n\n`;
      if (!res.write(frame)) {
        await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
      }
      if (res.destroyed) return;
    }
  }
}
