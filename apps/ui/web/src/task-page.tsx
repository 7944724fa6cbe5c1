import { useEffect, useState, type FormEvent } from 'react';
import { api, errorText } from './api.js';
import { submitOnEnter } from './composer.js';
import { ChangedFiles, Conversation } from './conversation.js';
import { firstLine, STATUS_LABEL } from './format.js';
import { RightRail } from './right-rail.js';
import { isFinal } from './task-state.js';
import { useTask, type Connection } from './use-task.js';

interface UndoResult {
  readonly steps: readonly { readonly path: string; readonly action: string }[];
  readonly conflicts: readonly { readonly path: string; readonly reason: string }[];
}

const CONNECTION: Record<Connection, string | undefined> = {
  connecting: 'Connecting…',
  live: undefined,
  reconnecting: 'Reconnecting… what happens meanwhile will show up when the connection is back.',
};

export function TaskPage(props: { readonly taskId: string; readonly onChanged: () => void }) {
  const { state, connection, loadError, refresh } = useTask(props.taskId);
  const [actionError, setActionError] = useState<string>();
  const [message, setMessage] = useState('');
  const [confirmUndo, setConfirmUndo] = useState(false);
  const [undone, setUndone] = useState<UndoResult>();
  const status = state.status;
  const { onChanged } = props;

  useEffect(() => {
    document.title = state.prompt === undefined ? 'Steward' : `${firstLine(state.prompt, 40)} · Steward`;
  }, [state.prompt]);
  // The sidebar's list follows this task's status as it changes.
  useEffect(() => onChanged(), [status, onChanged]);
  useEffect(() => {
    if (!confirmUndo) return;
    const close = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') setConfirmUndo(false);
    };
    window.addEventListener('keydown', close);
    return () => window.removeEventListener('keydown', close);
  }, [confirmUndo]);

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

  const undo = async (): Promise<void> => {
    setConfirmUndo(false);
    const answer = (await act('undo')) as UndoResult | undefined;
    if (answer !== undefined) setUndone(answer);
  };

  if (state.prompt === undefined) {
    return (
      <main className="task-page loading">
        {loadError === undefined ? (
          <p className="muted">Loading the task…</p>
        ) : (
          <p className="down">{loadError}</p>
        )}
      </main>
    );
  }

  const final = isFinal(status);
  return (
    <div className="task-layout">
      <main className="task-page">
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
            {final && !confirmUndo && undone === undefined && (
              <button type="button" className="secondary" onClick={() => setConfirmUndo(true)}>
                Undo changes
              </button>
            )}
            {confirmUndo && (
              <div className="confirm" role="dialog" aria-label="Undo changes">
                <p>Put back every file this task changed? Files it created go to the trash.</p>
                <button type="button" onClick={() => void undo()}>
                  Undo
                </button>
                <button type="button" className="secondary" onClick={() => setConfirmUndo(false)}>
                  Keep changes
                </button>
              </div>
            )}
          </section>
        )}
        {undone !== undefined && (
          <section className="notice" aria-label="Undo result">
            <p>
              Undone: {undone.steps.length} {undone.steps.length === 1 ? 'change' : 'changes'}.
            </p>
            {undone.conflicts.map((conflict) => (
              <p key={conflict.path} className="down">
                <code>{conflict.path}</code>: {conflict.reason}
              </p>
            ))}
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
