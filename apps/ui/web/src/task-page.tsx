import type { TaskView } from '@steward/contracts';
import { useEffect, useState, type FormEvent } from 'react';
import { api, errorText } from './api.js';
import { submitOnEnter } from './composer.js';
import { ChangedFiles, Conversation } from './conversation.js';
import { firstLine, STATUS_LABEL } from './format.js';
import { Link } from './link.js';
import { RightRail } from './right-rail.js';
import { taskPath } from './router.js';
import { isFinal } from './task-state.js';
import { UndoChanges } from './undo.js';
import { useTask, type Connection } from './use-task.js';

const CONNECTION: Record<Connection, string | undefined> = {
  connecting: 'Connecting…',
  live: undefined,
  reconnecting: 'Reconnecting… what happens meanwhile will show up when the connection is back.',
};

/** "Sub-task of …": the way back from a sub-task to the task that started it. */
function ParentLink(props: { readonly parentId: string }) {
  const [prompt, setPrompt] = useState<string>();
  useEffect(() => {
    let alive = true;
    api<TaskView>(`/api/tasks/${encodeURIComponent(props.parentId)}`).then(
      (parent) => alive && setPrompt(parent.prompt),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [props.parentId]);
  return (
    <p className="parent-link">
      Sub-task of{' '}
      <Link to={taskPath(props.parentId)}>
        {prompt === undefined ? 'the main task' : firstLine(prompt, 80)}
      </Link>
    </p>
  );
}

export function TaskPage(props: { readonly taskId: string; readonly onChanged: () => void }) {
  const { state, connection, loadError, refresh } = useTask(props.taskId);
  const [actionError, setActionError] = useState<string>();
  const [message, setMessage] = useState('');
  const status = state.status;
  const { onChanged } = props;

  useEffect(() => {
    document.title = state.prompt === undefined ? 'Steward' : `${firstLine(state.prompt, 40)} · Steward`;
  }, [state.prompt]);
  // The sidebar's list follows this task's status as it changes.
  useEffect(() => onChanged(), [status, onChanged]);

  const act = async (path: string, body: unknown = {}): Promise<unknown> => {
    setActionError(undefined);
    try {
      const answer = await api(`/api/tasks/${encodeURIComponent(props.taskId)}/${path}`, {
        method: 'POST',
        body,
      });
      refresh();
      return answer;
    } catch (failure) {
      setActionError(errorText(failure));
      return undefined;
    }
  };

  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const text = message.trim();
    if (text === '') return;
    if ((await act('messages', { text })) !== undefined) setMessage('');
  };

  if (state.prompt === undefined) {
    return (
      <main className="task-page loading">
        {loadError === undefined ? (
          <p className="muted" role="status">
            <span className="spinner" aria-hidden="true" />
            Loading the task…
          </p>
        ) : (
          <div className="card load-error" role="alert">
            <p className="down">This task could not be opened: {loadError}</p>
            <p>
              <button type="button" className="secondary" onClick={refresh}>
                Try again
              </button>{' '}
              <Link to="/">Start a new task</Link>
            </p>
          </div>
        )}
      </main>
    );
  }

  const final = isFinal(status);
  return (
    <div className="task-layout">
      <main className="task-page">
        {state.parentId !== undefined && <ParentLink parentId={state.parentId} />}
        <header className="page-head">
          <h1 title={state.prompt}>{firstLine(state.prompt)}</h1>
          {status !== undefined && (
            <span className={`pill ${status}`} aria-label="Task status">
              {STATUS_LABEL[status]}
            </span>
          )}
          {!final && (
            <button type="button" className="secondary" onClick={() => void act('cancel')}>
              Cancel
            </button>
          )}
        </header>
        {CONNECTION[connection] !== undefined && <p className="connection muted">{CONNECTION[connection]}</p>}
        <Conversation state={state} onAnswered={refresh} />
        {state.error !== undefined && status !== 'completed' && <p className="notice down">{state.error}</p>}
        {state.filesChanged.length > 0 && (
          <section className="changes" aria-label="Changes">
            <ChangedFiles files={state.filesChanged} />
            {final && <UndoChanges taskId={props.taskId} onUndone={refresh} />}
          </section>
        )}
        {actionError !== undefined && (
          <p className="down" role="alert">
            {actionError}
          </p>
        )}
        <form className="message-box" onSubmit={(event) => void send(event)}>
          <label htmlFor="task-message">Message</label>
          <textarea
            id="task-message"
            rows={2}
            value={message}
            onChange={(event) => setMessage(event.target.value)}
            onKeyDown={submitOnEnter}
            placeholder={final ? 'Ask for a follow-up…' : 'Steer the task while it works…'}
          />
          <button type="submit" disabled={message.trim() === ''}>
            Send
          </button>
        </form>
      </main>
      <RightRail state={state} />
    </div>
  );
}
