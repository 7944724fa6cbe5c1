import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { FINAL_TASK_STATUSES, orchestratorTaskGet, StewardError } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { z } from 'zod';
import { CommandOutputBuffer, type Follower, type OutputPiece } from './command-output.service.js';
import { SSE_HEARTBEAT_MS } from './task-events.controller.js';
import { parseAddress, parseTaskId, streamSequenceSchema, taskEventsQuerySchema } from './task-input.js';

/** A tool call id as the model wrote it: the page finds the call by it, nothing else reads it. */
const toolCallIdSchema = z.string().min(1).max(256);

/** Unsent output a slow page may hold on the server before pieces are skipped for it. */
const MAX_UNSENT_BYTES = 1024 * 1024;
const RECONNECT_MS = 2_000;
const FINISHED_CALL = new Set(['done', 'denied', 'unknown']);

/**
 * `GET /api/tasks/:id/calls/:callId/output`: what a run_command call prints, live, as
 * server-sent events — `output` events (`id:` the piece's sequence, `data:` `{ seq, stream, text }`),
 * `dropped` when the start of the output is no longer kept, and `end` once the call finished.
 * `Last-Event-ID` (or `?after=`) resumes after a piece.
 */
@Controller('api/tasks')
export class CommandOutputController {
  constructor(
    @Inject(BusClient) private readonly bus: BusClient,
    @Inject(CommandOutputBuffer) private readonly buffer: CommandOutputBuffer,
    @Inject(SSE_HEARTBEAT_MS) private readonly heartbeatMs: number,
  ) {}

  @Get(':id/calls/:callId/output')
  async stream(
    @Param('id') id: string,
    @Param('callId') callIdParam: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query() query: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const taskId = parseTaskId(id);
    const callId = parseAddress(toolCallIdSchema, callIdParam, 'the tool call id');
    const { after } = parseAddress(taskEventsQuerySchema, query, 'the query');
    const resumeFrom = lastEventId ?? after;
    const afterSeq =
      resumeFrom === undefined ? -1 : parseAddress(streamSequenceSchema, resumeFrom, 'the last event id');

    let gone = false;
    res.once('close', () => (gone = true));
    // Followed before the task is read, so nothing printed meanwhile falls between the two.
    const early: OutputPiece[] = [];
    let ended: string | undefined;
    // Set once the response is open; until then pieces wait in `early`.
    const sink: { send?: (piece: OutputPiece) => void; finish?: (status: string) => void } = {};
    const follower: Follower = this.buffer.follow(
      taskId,
      callId,
      (piece) => (sink.send === undefined ? early.push(piece) : sink.send(piece)),
      (status) => {
        ended = status;
        sink.finish?.(status);
      },
    );
    try {
      const view = await this.bus.request(orchestratorTaskGet, { taskId });
      const call = view.toolCalls.find((candidate) => candidate.id === callId);
      if (call === undefined || call.tool !== 'run_command') {
        throw new StewardError('NOT_FOUND', `task ${taskId} has no command call ${callId}`);
      }
      if (FINISHED_CALL.has(call.status) || FINAL_TASK_STATUSES.includes(view.status)) ended ??= call.status;
    } catch (error) {
      follower.stop();
      throw error;
    }
    if (gone || !res.socket || res.socket.destroyed) {
      follower.stop();
      return;
    }

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: ${RECONNECT_MS}\n\n`);

    let lastSent = afterSeq;
    let skippedChars = 0;
    const frame = (event: string, data: unknown, seq?: number): void => {
      res.write(
        `${seq === undefined ? '' : `id: ${seq}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
      );
    };
    const heartbeat = setInterval(() => res.write(': keepalive\n\n'), this.heartbeatMs);
    const close = (): void => {
      clearInterval(heartbeat);
      follower.stop();
      if (!res.writableEnded) res.end();
    };
    res.once('close', close);

    const send = (piece: OutputPiece): void => {
      if (piece.seq <= lastSent || res.writableEnded) return;
      lastSent = piece.seq;
      // A page that cannot keep up misses pieces rather than making this process hold them all.
      if (res.writableLength > MAX_UNSENT_BYTES) {
        skippedChars += piece.text.length;
        return;
      }
      if (skippedChars > 0) {
        frame('dropped', { chars: skippedChars });
        skippedChars = 0;
      }
      frame('output', piece, piece.seq);
    };
    const finish = (status: string): void => {
      if (res.writableEnded) return;
      frame('end', { status });
      close();
    };

    const kept = follower.kept.pieces.filter((piece) => piece.seq > afterSeq);
    if (afterSeq < 0 && follower.kept.droppedChars > 0) {
      frame('dropped', { chars: follower.kept.droppedChars });
    }
    for (const piece of [...kept, ...early]) send(piece);
    sink.send = send;
    sink.finish = finish;
    if (ended !== undefined) finish(ended);
  }
}
