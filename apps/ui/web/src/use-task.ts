import { useCallback, useEffect, useReducer, useState } from 'react';
import type { TaskEventKind, TaskView } from '@steward/contracts';
import { api, errorText } from './api.js';
import { EVENT_KINDS, initialTask, reduceTask, type StreamEvent, type TaskState } from './task-state.js';

export type Connection = 'connecting' | 'live' | 'reconnecting';

export interface LiveTask {
  readonly state: TaskState;
  readonly connection: Connection;
  /** Why the task could not be read (not found, signed out, …). */
  readonly loadError: string | undefined;
  /** Reads the whole task again (after an action, or to reconcile after a reconnect). */
  readonly refresh: () => void;
}

/** How long the page waits before opening a stream again that the server refused or closed. */
const REOPEN_MS = 3_000;

/**
 * The task, live: its snapshot, then its event stream. A dropped stream reconnects by itself and
 * EventSource sends `Last-Event-ID`, so the server replays exactly what was missed; the snapshot
 * read again after each reconnect catches anything the stream could not replay.
 */
export function useTask(taskId: string): LiveTask {
  const [state, dispatch] = useReducer(reduceTask, taskId, initialTask);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [loadError, setLoadError] = useState<string | undefined>();

  const refresh = useCallback(() => {
    api<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}`).then(
      (view) => {
        setLoadError(undefined);
        dispatch({ type: 'snapshot', view });
      },
      (error: unknown) => setLoadError(errorText(error)),
    );
  }, [taskId]);

  useEffect(() => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastSeq = 0;
    let dropped = false;
    const open = (): void => {
      const after = lastSeq > 0 ? `?after=${lastSeq}` : '';
      const stream = new EventSource(`/api/tasks/${encodeURIComponent(taskId)}/events${after}`);
      source = stream;
      stream.onopen = () => {
        setConnection('live');
        if (dropped) refresh();
        dropped = false;
      };
      stream.onerror = () => {
        dropped = true;
        setConnection('reconnecting');
        // CONNECTING: the browser retries by itself. CLOSED: the server refused the stream.
        if (stream.readyState === EventSource.CLOSED) timer = setTimeout(open, REOPEN_MS);
      };
      for (const kind of EVENT_KINDS) {
        stream.addEventListener(kind, (message) => {
          const event = parseEvent(message, kind, taskId);
          if (event === undefined) return;
          lastSeq = Math.max(lastSeq, event.seq);
          dispatch({ type: 'event', event });
        });
      }
    };
    open();
    refresh();
    return () => {
      clearTimeout(timer);
      source?.close();
    };
  }, [taskId, refresh]);

  return { state, connection, loadError, refresh };
}

function parseEvent(
  message: MessageEvent<unknown>,
  kind: TaskEventKind,
  taskId: string,
): StreamEvent | undefined {
  const seq = Number(message.lastEventId);
  if (!Number.isSafeInteger(seq) || typeof message.data !== 'string') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { taskId: id, at, data } = body as Record<string, unknown>;
  if (id !== taskId || typeof at !== 'string' || typeof data !== 'object' || data === null) return undefined;
  return { seq, kind, at, data: data as Record<string, unknown> };
}
