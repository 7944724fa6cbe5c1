import type { ApprovalMode, TaskSummary } from '@steward/contracts';
import { useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, errorText } from './api.js';
import { BrowseFolderButton } from './folder-dialog.js';
import { ProjectSelect, taskFolders, useProjectChoice } from './project-select.js';
import { navigate, taskPath } from './router.js';

interface FolderCheck {
  readonly ready: boolean;
  readonly problems: readonly string[];
}

interface ModelCheck {
  readonly model: string;
  readonly toolUse: boolean;
  readonly detail: string;
}

/** The part of `GET /api/policy` the composer follows. */
interface PolicyView {
  readonly values: Readonly<Record<string, unknown>>;
  readonly managed: Readonly<Record<string, boolean>>;
}

const LAST_FOLDER = 'steward.lastFolder';
const MODELS = 'steward.models';
const MAX_REMEMBERED_MODELS = 8;
/** The model select's choice that reveals a text box for a model not listed. */
const OTHER = '*other';

/** Enter sends, Shift+Enter starts a new line: how chat boxes behave. */
export function submitOnEnter(event: KeyboardEvent<HTMLTextAreaElement>): void {
  if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
  event.preventDefault();
  event.currentTarget.form?.requestSubmit();
}

function rememberedModels(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(MODELS) ?? '[]');
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

function rememberModel(model: string): void {
  const models = [model, ...rememberedModels().filter((known) => known !== model)];
  try {
    localStorage.setItem(MODELS, JSON.stringify(models.slice(0, MAX_REMEMBERED_MODELS)));
  } catch {
    // Not remembered for next time; this task still uses it.
  }
}

/**
 * The models to offer: those the person typed before (checked), and those recent tasks used.
 * Read once; the list is a convenience, the default model needs none of it.
 */
function useKnownModels(): readonly string[] {
  const [models, setModels] = useState<readonly string[]>(rememberedModels);
  useEffect(() => {
    let alive = true;
    api<{ tasks: TaskSummary[] }>('/api/tasks?limit=50').then(
      ({ tasks }) => {
        if (!alive) return;
        setModels((known) => [...new Set([...known, ...tasks.map((task) => task.model).filter(Boolean)])]);
      },
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, []);
  return models;
}

/** Whether policy lets the person choose auto mode, and which mode it starts in. */
function useApprovalPolicy(): { readonly allowAuto: boolean; readonly defaultMode: ApprovalMode } {
  const [policy, setPolicy] = useState<PolicyView>();
  useEffect(() => {
    let alive = true;
    api<PolicyView>('/api/policy').then(
      (answer) => alive && setPolicy(answer),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, []);
  const allowAuto = policy?.values['approvals.allowAuto'] !== false;
  const defaultMode = policy?.values['approvals.defaultMode'] === 'auto' && allowAuto ? 'auto' : 'ask';
  return { allowAuto, defaultMode };
}

export function Composer(props: {
  readonly prompt: string;
  readonly onPrompt: (prompt: string) => void;
  readonly disabled: boolean;
  readonly onStarted: () => void;
  /** A project to start in (`/?project=`), chosen once the list has loaded. */
  readonly projectId?: string | undefined;
}) {
  const [folder, setFolder] = useState(() => localStorage.getItem(LAST_FOLDER) ?? '');
  const project = useProjectChoice(folder, setFolder);
  const knownModels = useKnownModels();
  const [choice, setChoice] = useState('');
  const [typed, setTyped] = useState('');
  const [modelCheck, setModelCheck] = useState<ModelCheck | 'checking' | { readonly failed: string }>();
  const policy = useApprovalPolicy();
  const [chosenMode, setMode] = useState<ApprovalMode>();
  const mode = chosenMode === 'auto' && !policy.allowAuto ? 'ask' : (chosenMode ?? policy.defaultMode);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [check, setCheck] = useState<FolderCheck | 'checking' | { readonly failed: string }>();

  const model = choice === OTHER ? typed.trim() : choice;
  const checkedOk = (name: string): boolean =>
    typeof modelCheck === 'object' &&
    'toolUse' in modelCheck &&
    modelCheck.model === name &&
    modelCheck.toolUse;

  /** Asks the orchestrator whether `name` answers with tool calls; true when it does. */
  const checkModel = async (name: string): Promise<boolean> => {
    setModelCheck('checking');
    try {
      const answer = await api<ModelCheck>('/api/models/check', { method: 'POST', body: { model: name } });
      setModelCheck({ ...answer, model: name });
      if (answer.toolUse) rememberModel(name);
      return answer.toolUse;
    } catch (failure) {
      setModelCheck({ failed: errorText(failure) });
      return false;
    }
  };

  const start = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      // A model typed here is checked before a task depends on it: it must be able to call tools.
      if (choice === OTHER && model !== '' && !checkedOk(model) && !(await checkModel(model))) return;
      const { id } = await api<{ id: string }>('/api/tasks', {
        method: 'POST',
        body: {
          prompt: props.prompt,
          folders: taskFolders(folder, project.project),
          ...(project.project === undefined ? {} : { projectId: project.project.id }),
          approvalMode: mode,
          ...(model === '' ? {} : { model }),
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
        <BrowseFolderButton current={folder} onChoose={setFolder} />
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
      <ProjectSelect
        preset={props.projectId}
        chosen={project.project}
        folder={folder}
        onChoose={project.choose}
      />
      <div className="row">
        <label htmlFor="task-model">Model</label>
        <select
          id="task-model"
          value={choice}
          onChange={(event) => {
            setChoice(event.target.value);
            setModelCheck(undefined);
          }}
        >
          <option value="">Default model</option>
          {knownModels.map((known) => (
            <option key={known} value={known}>
              {known}
            </option>
          ))}
          <option value={OTHER}>Another model…</option>
        </select>
        {choice === OTHER && (
          <>
            <input
              type="text"
              aria-label="Model name"
              value={typed}
              onChange={(event) => {
                setTyped(event.target.value);
                setModelCheck(undefined);
              }}
              placeholder="claude-opus-4-1 or ollama:qwen3"
              autoComplete="off"
              spellCheck={false}
            />
            <button
              type="button"
              className="secondary"
              disabled={typed.trim() === '' || modelCheck === 'checking'}
              onClick={() => void checkModel(typed.trim())}
            >
              Check model
            </button>
          </>
        )}
        <label htmlFor="task-mode">Approvals</label>
        <select id="task-mode" value={mode} onChange={(event) => setMode(event.target.value as ApprovalMode)}>
          <option value="ask">Ask before changes</option>
          <option value="auto" disabled={!policy.allowAuto}>
            {policy.allowAuto ? 'Auto (as policy allows)' : 'Auto (set by your organization: off)'}
          </option>
        </select>
        <button type="submit" disabled={busy || props.disabled}>
          {busy ? (modelCheck === 'checking' ? 'Checking the model…' : 'Starting…') : 'Start task'}
        </button>
      </div>
      <div role="status" aria-live="polite" className="model-result">
        {modelCheck === 'checking' && <p className="muted">Asking the model to call a tool…</p>}
        {typeof modelCheck === 'object' && 'failed' in modelCheck && (
          <p className="down">The model could not be checked: {modelCheck.failed}</p>
        )}
        {typeof modelCheck === 'object' && 'toolUse' in modelCheck && (
          <p className={modelCheck.toolUse ? 'ok' : 'down'}>
            {modelCheck.toolUse
              ? `${modelCheck.model} can call tools.`
              : `${modelCheck.model} did not call a tool when asked, so tasks cannot use it. ${modelCheck.detail}`}
          </p>
        )}
        {!policy.allowAuto && (
          <p className="muted">Every change asks first: auto mode is set by your organization.</p>
        )}
      </div>
      {error !== undefined && (
        <p className="down" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
