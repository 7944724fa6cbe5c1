import type { ApprovalMode } from '@steward/contracts';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, errorText } from './api.js';
import { navigate, taskPath } from './router.js';

interface FolderCheck {
  readonly ready: boolean;
  readonly problems: readonly string[];
}

const LAST_FOLDER = 'steward.lastFolder';

/** Enter sends, Shift+Enter starts a new line: how chat boxes behave. */
export function submitOnEnter(event: KeyboardEvent<HTMLTextAreaElement>): void {
  if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
  event.preventDefault();
  event.currentTarget.form?.requestSubmit();
}

export function Composer(props: {
  readonly prompt: string;
  readonly onPrompt: (prompt: string) => void;
  readonly disabled: boolean;
  readonly onStarted: () => void;
}) {
  const [folder, setFolder] = useState(() => localStorage.getItem(LAST_FOLDER) ?? '');
  const [model, setModel] = useState('');
  const [mode, setMode] = useState<ApprovalMode>('ask');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [check, setCheck] = useState<FolderCheck | 'checking' | { readonly failed: string }>();

  const start = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const { id } = await api<{ id: string }>('/api/tasks', {
        method: 'POST',
        body: {
          prompt: props.prompt,
          folders: [folder.trim()],
          approvalMode: mode,
          ...(model.trim() === '' ? {} : { model: model.trim() }),
        },
      });
      localStorage.setItem(LAST_FOLDER, folder.trim());
      props.onPrompt('');
      props.onStarted();
      navigate(taskPath(id));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const checkFolder = async (): Promise<void> => {
    setCheck('checking');
    try {
      setCheck(
        await api<FolderCheck>('/api/folders/inspect', {
          method: 'POST',
          body: { folders: [folder.trim()] },
        }),
      );
    } catch (failure) {
      setCheck({ failed: errorText(failure) });
    }
  };

  return (
    <form className="composer card" onSubmit={(event) => void start(event)}>
      <label htmlFor="task-prompt">Task</label>
      <textarea
        id="task-prompt"
        rows={4}
        value={props.prompt}
        onChange={(event) => props.onPrompt(event.target.value)}
        onKeyDown={submitOnEnter}
        placeholder="Describe the outcome you want, e.g. “Sort these receipts into a spreadsheet by month”"
        required
      />
      <div className="row">
        <label htmlFor="task-folder">Folder</label>
        <input
          id="task-folder"
          type="text"
          value={folder}
          onChange={(event) => setFolder(event.target.value)}
          placeholder="/home/you/Documents/receipts"
          autoComplete="off"
          required
        />
        <button
          type="button"
          className="secondary"
          onClick={() => void checkFolder()}
          disabled={folder.trim() === ''}
        >
          Check folder
        </button>
      </div>
      <div id="folder-result" role="status" aria-live="polite">
        {check === 'checking' && <p className="muted">Checking…</p>}
        {check !== undefined && check !== 'checking' && 'failed' in check && (
          <p className="down">{check.failed}</p>
        )}
        {check !== undefined && check !== 'checking' && 'ready' in check && check.ready && (
          <p className="ok">Ready: Steward can work in this folder.</p>
        )}
        {check !== undefined &&
          check !== 'checking' &&
          'ready' in check &&
          check.problems.map((problem) => (
            <p key={problem} className="down">
              {problem}
            </p>
          ))}
      </div>
      <div className="row">
        <label htmlFor="task-model">Model</label>
        <input
          id="task-model"
          type="text"
          value={model}
          onChange={(event) => setModel(event.target.value)}
          placeholder="default"
          autoComplete="off"
        />
        <label htmlFor="task-mode">Approvals</label>
        <select id="task-mode" value={mode} onChange={(event) => setMode(event.target.value as ApprovalMode)}>
          <option value="ask">Ask before changes</option>
          <option value="auto">Auto (as policy allows)</option>
        </select>
        <button type="submit" disabled={busy || props.disabled}>
          {busy ? 'Starting…' : 'Start task'}
        </button>
      </div>
      {error !== undefined && (
        <p className="down" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
