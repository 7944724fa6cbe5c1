import type { ProjectView, TaskSummary } from '@steward/contracts';
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, ApiError, errorText } from './api.js';
import { BrowseFolderButton } from './folder-dialog.js';
import { firstLine, STATUS_LABEL } from './format.js';
import { Link } from './link.js';
import {
  capitalize,
  fieldErrorsOf,
  projectApiPath,
  projectsChanged,
  taskCountText,
  type FieldErrors,
} from './project-api.js';
import { FieldError, Modal } from './project-dialog.js';
import { navigate, newTaskInProject, taskPath } from './router.js';
import { usePolling } from './use-polling.js';

const PROJECT_REFRESH_MS = 5_000;
const TASKS_REFRESH_MS = 3_000;
const TASKS_SHOWN = 100;
/** As many folders as one task may connect. */
const MAX_FOLDERS = 16;

type Save = (change: {
  readonly name?: string;
  readonly instructions?: string;
  readonly folders?: readonly string[];
}) => Promise<FieldErrors | undefined>;

/**
 * One project, kept fresh. A change's answer replaces the project at once; a poll that set out
 * before the change and lands after it is older (by `updatedAt`) and is dropped.
 */
function useProject(projectId: string) {
  const [project, setProject] = useState<ProjectView>();
  const [error, setError] = useState<unknown>();
  const keep = useCallback((next: ProjectView) => {
    setProject((previous) =>
      previous !== undefined && previous.id === next.id && previous.updatedAt > next.updatedAt
        ? previous
        : next,
    );
    setError(undefined);
  }, []);
  const reload = useCallback(() => {
    api<ProjectView>(projectApiPath(projectId)).then(keep, (failure: unknown) => setError(failure));
  }, [projectId, keep]);
  useEffect(() => {
    reload();
    const timer = setInterval(reload, PROJECT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return { project, error, reload, keep };
}

export function ProjectPage(props: { readonly projectId: string; readonly onChanged: () => void }) {
  const { project, error, reload, keep } = useProject(props.projectId);
  const [deleting, setDeleting] = useState(false);
  const loadTasks = useCallback(
    () =>
      api<{ tasks: TaskSummary[] }>(
        `/api/tasks?projectId=${encodeURIComponent(props.projectId)}&limit=${TASKS_SHOWN}`,
      ).then((answer) => answer.tasks),
    [props.projectId],
  );
  const tasks = usePolling(loadTasks, TASKS_REFRESH_MS);

  useEffect(() => {
    if (project !== undefined) document.title = `${project.name} · Steward`;
  }, [project]);

  const save: Save = async (change) => {
    try {
      keep(await api<ProjectView>(projectApiPath(props.projectId), { method: 'PATCH', body: change }));
      projectsChanged();
      return undefined;
    } catch (failure) {
      return fieldErrorsOf(failure);
    }
  };

  if (project === undefined) {
    const gone = error instanceof ApiError && error.status === 404;
    return (
      <main className="view-page project-page">
        {error === undefined ? (
          <p className="muted" role="status">
            Loading the project…
          </p>
        ) : (
          <div className="card load-error" role="alert">
            <p className="down">
              {gone
                ? 'This project does not exist: it may have been deleted. Its tasks, if it had any, are still in the task list.'
                : `This project could not be opened: ${errorText(error)}`}
            </p>
            {!gone && (
              <button type="button" className="secondary" onClick={reload}>
                Try again
              </button>
            )}
            <Link to="/projects" className="head-link">
              All projects
            </Link>
          </div>
        )}
      </main>
    );
  }

  return (
    <main className="view-page project-page">
      <p className="parent-link">
        <Link to="/projects">Projects</Link>
      </p>
      <NameEditor key={project.id} name={project.name} onSave={save} />
      <div className="actions project-actions">
        <button type="button" onClick={() => navigate(newTaskInProject(project.id))}>
          New task in this project
        </button>
        <button
          type="button"
          className="secondary danger"
          aria-haspopup="dialog"
          onClick={() => {
            reload();
            setDeleting(true);
          }}
        >
          Delete project
        </button>
      </div>
      <InstructionsEditor key={`${project.id}-instructions`} saved={project.instructions} onSave={save} />
      <FoldersEditor folders={project.folders} onSave={save} />
      <ProjectTasks project={project} tasks={tasks.value} error={tasks.error} onRetry={tasks.reload} />
      {deleting && (
        <DeleteProjectDialog
          project={project}
          onClose={() => setDeleting(false)}
          onDeleted={() => {
            projectsChanged();
            props.onChanged();
            navigate('/projects');
          }}
        />
      )}
    </main>
  );
}

/** The project's name as the page's heading; "Rename" turns it into a box (Enter saves, Esc cancels). */
function NameEditor(props: { readonly name: string; readonly onSave: Save }) {
  const [draft, setDraft] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  const inputId = useId();

  const stop = (): void => {
    setDraft(undefined);
    setError(undefined);
    // The button comes back once the box goes; focus follows it there.
    requestAnimationFrame(() => renameButton.current?.focus());
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (draft === undefined || busy) return;
    if (draft.trim() === props.name) {
      stop();
      return;
    }
    setBusy(true);
    const refused = await props.onSave({ name: draft });
    setBusy(false);
    if (refused === undefined) stop();
    else setError(refused.fields.name ?? refused.form ?? 'The name was not saved.');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    stop();
  };

  if (draft === undefined) {
    return (
      <header className="page-head">
        <h1 title={props.name}>{props.name}</h1>
        <button
          ref={renameButton}
          type="button"
          className="link"
          onClick={() => {
            setDraft(props.name);
            setError(undefined);
          }}
        >
          Rename
        </button>
      </header>
    );
  }
  return (
    <form className="page-head project-rename" onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={inputId} className="sr-only">
        Project name
      </label>
      <input
        id={inputId}
        type="text"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
        maxLength={120}
        autoComplete="off"
        autoFocus
        {...(error === undefined ? {} : { 'aria-invalid': true, 'aria-describedby': `${inputId}-error` })}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save name'}
      </button>
      <button type="button" className="secondary" onClick={stop}>
        Cancel
      </button>
      <FieldError id={`${inputId}-error`} text={error} />
    </form>
  );
}

/** The standing instructions: edited freely, saved on request, "Saved" once the server has them. */
function InstructionsEditor(props: { readonly saved: string; readonly onSave: Save }) {
  // Undefined while untouched, so a fresher copy from the server shows instead of a stale draft.
  const [draft, setDraft] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ readonly ok: boolean; readonly text: string }>();
  const text = draft ?? props.saved;
  const changed = draft !== undefined && draft !== props.saved;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!changed || busy) return;
    setBusy(true);
    setResult(undefined);
    const refused = await props.onSave({ instructions: text });
    setBusy(false);
    if (refused === undefined) {
      setDraft(undefined);
      setResult({ ok: true, text: 'Saved. New turns of the project’s tasks use these instructions.' });
    } else {
      setResult({ ok: false, text: refused.fields.instructions ?? refused.form ?? 'Not saved.' });
    }
  };

  return (
    <section className="card settings-section" aria-labelledby="project-instructions-title">
      <h2 id="project-instructions-title">Instructions</h2>
      <form className="project-form" onSubmit={(event) => void submit(event)}>
        <p id="project-instructions-hint" className="muted field-hint">
          What Steward should always keep in mind for this project: conventions, audience, formats. It reads
          them before every step of the project’s tasks.
        </p>
        <textarea
          id="project-instructions"
          aria-labelledby="project-instructions-title"
          rows={8}
          value={text}
          onChange={(event) => {
            setDraft(event.target.value);
            setResult(undefined);
          }}
          placeholder="e.g. Amounts are in euros. Write for the board: short, no jargon."
          aria-describedby="project-instructions-hint project-instructions-result"
        />
        <div className="actions">
          <button type="submit" disabled={!changed || busy}>
            {busy ? 'Saving…' : 'Save instructions'}
          </button>
          {changed && (
            <button type="button" className="secondary" onClick={() => setDraft(undefined)}>
              Discard changes
            </button>
          )}
        </div>
        <p
          id="project-instructions-result"
          role="status"
          aria-live="polite"
          className={result === undefined ? 'muted' : result.ok ? 'ok' : 'down'}
        >
          {result?.text ?? ''}
        </p>
      </form>
    </section>
  );
}

/** The project's folders: offered to each new task in it; each change is saved at once. */
function FoldersEditor(props: { readonly folders: readonly string[]; readonly onSave: Save }) {
  const [adding, setAdding] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const change = async (folders: readonly string[]): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    const refused = await props.onSave({ folders });
    setBusy(false);
    if (refused !== undefined) setError(refused.fields.folders ?? refused.form ?? 'Not saved.');
    return refused === undefined;
  };

  const add = async (path: string): Promise<void> => {
    const folder = path.trim();
    if (folder === '') return;
    if (props.folders.includes(folder)) {
      setError('That folder is in the project already.');
      return;
    }
    if (await change([...props.folders, folder])) setAdding('');
  };

  const full = props.folders.length >= MAX_FOLDERS;
  return (
    <section className="card settings-section" aria-labelledby="project-folders-title">
      <h2 id="project-folders-title">Folders</h2>
      <p className="muted">New tasks in this project start with these folders connected.</p>
      {props.folders.length === 0 ? (
        <p className="muted">No folders yet: add the ones this project’s work lives in.</p>
      ) : (
        <ul className="project-folder-list" aria-label="Project folders">
          {props.folders.map((folder) => (
            <li key={folder}>
              <code title={folder}>{folder}</code>
              <button
                type="button"
                className="link"
                aria-label={`Remove ${folder}`}
                disabled={busy}
                onClick={() => void change(props.folders.filter((kept) => kept !== folder))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          void add(adding);
        }}
        noValidate
      >
        <label htmlFor="project-add-folder" className="sr-only">
          Folder to add
        </label>
        <input
          id="project-add-folder"
          type="text"
          value={adding}
          onChange={(event) => setAdding(event.target.value)}
          placeholder="/home/you/Documents/reports"
          autoComplete="off"
          spellCheck={false}
          disabled={full}
          {...(error === undefined
            ? {}
            : { 'aria-invalid': true, 'aria-describedby': 'project-folders-error' })}
        />
        <BrowseFolderButton current={adding} onChoose={(path) => void add(path)} />
        <button type="submit" className="secondary" disabled={busy || full || adding.trim() === ''}>
          Add folder
        </button>
      </form>
      {full && <p className="muted">A task can connect at most {MAX_FOLDERS} folders.</p>}
      <FieldError id="project-folders-error" text={error} />
    </section>
  );
}

function ProjectTasks(props: {
  readonly project: ProjectView;
  readonly tasks: readonly TaskSummary[] | undefined;
  readonly error: unknown;
  readonly onRetry: () => void;
}) {
  const { tasks } = props;
  return (
    <section className="card settings-section" aria-labelledby="project-tasks-title">
      <header className="section-head">
        <h2 id="project-tasks-title">Tasks</h2>
        <span className="muted">{taskCountText(props.project)}</span>
      </header>
      {tasks === undefined ? (
        props.error === undefined ? (
          <p className="muted" role="status">
            Loading the tasks…
          </p>
        ) : (
          <div role="alert" className="load-error">
            <p className="down">The tasks could not be loaded: {errorText(props.error)}</p>
            <button type="button" className="secondary" onClick={props.onRetry}>
              Try again
            </button>
          </div>
        )
      ) : tasks.length === 0 ? (
        <p className="muted">No tasks in this project yet. “New task in this project” starts one.</p>
      ) : (
        <ul className="project-tasks" aria-label="Tasks in this project">
          {tasks.map((task) => (
            <li key={task.id}>
              <Link to={taskPath(task.id)}>
                <span className="recent-title">{firstLine(task.prompt, 100)}</span>
              </Link>
              <span className={`pill ${task.status}`}>{STATUS_LABEL[task.status]}</span>
              <time className="muted" dateTime={task.createdAt}>
                {new Date(task.createdAt).toLocaleString()}
              </time>
            </li>
          ))}
        </ul>
      )}
      {tasks !== undefined && props.project.taskCount > tasks.length && (
        <p className="muted">Showing the latest {tasks.length}.</p>
      )}
    </section>
  );
}

/** Confirms a delete, saying what happens to the tasks; a refusal (a task still runs) shows here. */
function DeleteProjectDialog(props: {
  readonly project: ProjectView;
  readonly onClose: () => void;
  readonly onDeleted: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const { project } = props;

  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api(projectApiPath(project.id), { method: 'DELETE' });
      dialog.current?.close();
      props.onDeleted();
    } catch (failure) {
      setError(capitalize(errorText(failure)));
    } finally {
      setBusy(false);
    }
  };

  const tasks =
    project.taskCount === 0
      ? 'It has no tasks.'
      : project.taskCount === 1
        ? 'Its task is kept: it stays in the task list, outside any project.'
        : `Its ${project.taskCount} tasks are kept: they stay in the task list, outside any project.`;
  return (
    <Modal title={`Delete the project “${project.name}”?`} onClose={props.onClose} dialogRef={dialog}>
      <p>{tasks}</p>
      <p>
        Its instructions and list of folders are removed; the folders themselves and their files are not
        touched.
      </p>
      {project.activeTaskCount > 0 && error === undefined && (
        <p className="notice">
          {project.activeTaskCount === 1 ? 'A task of it is' : `${project.activeTaskCount} tasks of it are`}{' '}
          still under way: a project can be deleted once they have finished or been cancelled.
        </p>
      )}
      {error !== undefined && (
        <p className="down" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
          {busy ? 'Deleting…' : 'Delete'}
        </button>
        <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
          Keep it
        </button>
      </div>
    </Modal>
  );
}
