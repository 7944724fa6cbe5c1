import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { execIdOf, vmExecOutputEventSchema } from '@steward/contracts';
import type { Subscription } from 'rxjs';
import { EventHub, type BusEvent } from '../events/event-hub.service.js';

export interface OutputPiece {
  readonly seq: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** What one run printed that is still kept, and how much of its start was let go. */
export interface KeptOutput {
  readonly pieces: readonly OutputPiece[];
  /** Characters of the run's earliest output no longer kept. */
  readonly droppedChars: number;
}

/** The output of one run the page may still ask for, newest runs kept first. */
export const OUTPUT_LIMITS = { charsPerRun: 256 * 1024, runs: 64 } as const;

/** Statuses a tool call never leaves. */
const FINISHED_CALL = new Set(['done', 'denied', 'unknown']);

const OUTPUT_SUBJECT = /^events\.vm\.exec\.([A-Za-z0-9_-]{1,64})\.output$/;

interface Run {
  pieces: OutputPiece[];
  chars: number;
  droppedChars: number;
  lastSeq: number;
  readonly listeners: Set<(piece: OutputPiece) => void>;
}

export interface Follower {
  /** What was kept before following started. */
  readonly kept: KeptOutput;
  stop(): void;
}

/**
 * Live output of sandboxed commands (`events.vm.exec.<execId>.output`, plain events vm-service
 * publishes while a command runs), kept a while per run so a page that opens a running command
 * late, or reloads, still sees what it printed so far. vm-service does not store them: once this
 * process lets a run go (or restarts) only the call's result summary is left.
 */
@Injectable()
export class CommandOutputBuffer implements OnModuleInit, OnModuleDestroy {
  /** Keyed by task and run: runs of different tasks may share an id (ids come from the model). */
  private readonly runs = new Map<string, Run>();
  private subscription: Subscription | undefined;

  constructor(@Inject(EventHub) private readonly hub: EventHub) {}

  onModuleInit(): void {
    this.subscription = this.hub.stream(undefined, 'events.vm.exec.').subscribe((event) => this.take(event));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /**
   * What a tool call's command printed so far, and each piece it prints from now on, until
   * `stop`; `onEnd` once the task reports the call finished.
   */
  follow(
    taskId: string,
    toolCallId: string,
    onPiece: (piece: OutputPiece) => void,
    onEnd: (status: string) => void,
  ): Follower {
    const key = keyOf(taskId, execIdOf(toolCallId));
    const run = this.runs.get(key) ?? this.remember(key, newRun());
    run.listeners.add(onPiece);
    const kept = { pieces: [...run.pieces], droppedChars: run.droppedChars };
    const toolEvents = `events.orchestrator.task.${taskId}.tool`;
    const ends = this.hub.stream(undefined, toolEvents).subscribe((event) => {
      if (event.subject !== toolEvents || typeof event.data !== 'object' || event.data === null) return;
      const { id, status } = event.data as Record<string, unknown>;
      if (id === toolCallId && typeof status === 'string' && FINISHED_CALL.has(status)) onEnd(status);
    });
    return {
      kept,
      stop: () => {
        run.listeners.delete(onPiece);
        ends.unsubscribe();
      },
    };
  }

  private take(event: BusEvent): void {
    const execId = OUTPUT_SUBJECT.exec(event.subject)?.[1];
    const parsed = vmExecOutputEventSchema.safeParse(event.data);
    if (execId === undefined || !parsed.success || parsed.data.execId !== execId) return;
    const { taskId, seq, stream, text } = parsed.data;
    const key = keyOf(taskId, execId);
    let run = this.runs.get(key) ?? this.remember(key, newRun());
    // The same call id run again (a model that reuses ids) starts over at 0.
    if (seq === 0 && run.lastSeq >= 0) {
      const listeners = run.listeners;
      run = this.remember(key, { ...newRun(), listeners });
    } else if (seq <= run.lastSeq) {
      return;
    }
    const piece: OutputPiece = { seq, stream, text: text.slice(-OUTPUT_LIMITS.charsPerRun) };
    run.lastSeq = seq;
    run.droppedChars += text.length - piece.text.length;
    run.pieces.push(piece);
    run.chars += piece.text.length;
    while (run.chars > OUTPUT_LIMITS.charsPerRun && run.pieces.length > 1) {
      const oldest = run.pieces.shift();
      run.chars -= oldest?.text.length ?? 0;
      run.droppedChars += oldest?.text.length ?? 0;
    }
    for (const listener of run.listeners) listener(piece);
  }

  /** Newest last; the oldest run nobody follows goes once there are too many. */
  private remember(key: string, run: Run): Run {
    this.runs.delete(key);
    this.runs.set(key, run);
    if (this.runs.size > OUTPUT_LIMITS.runs) {
      for (const [oldKey, old] of this.runs) {
        if (old.listeners.size > 0 || oldKey === key) continue;
        this.runs.delete(oldKey);
        break;
      }
    }
    return run;
  }
}

const keyOf = (taskId: string, execId: string): string => `${taskId}/${execId}`;

const newRun = (): Run => ({ pieces: [], chars: 0, droppedChars: 0, lastSeq: -1, listeners: new Set() });
