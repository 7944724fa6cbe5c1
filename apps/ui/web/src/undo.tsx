import { useEffect, useRef, useState } from 'react';
import { api, errorText } from './api.js';

interface UndoStep {
  readonly op: string;
  readonly path: string;
  readonly action: string;
}
interface UndoConflict {
  readonly path: string;
  readonly reason: string;
}
interface UndoAnswer {
  readonly steps: readonly UndoStep[];
  readonly conflicts: readonly UndoConflict[];
  readonly dryRun: boolean;
}

type Plan =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: string }
  | { readonly phase: 'ready'; readonly plan: UndoAnswer }
  | { readonly phase: 'undoing'; readonly plan: UndoAnswer };

function Steps(props: { readonly steps: readonly UndoStep[]; readonly label: string }) {
  if (props.steps.length === 0) return null;
  return (
    <ul className="paths undo-steps" aria-label={props.label}>
      {props.steps.map((step, index) => (
        <li key={`${index}:${step.path}`}>
          <code>{step.path}</code> <span className="muted">{step.action}</span>
        </li>
      ))}
    </ul>
  );
}

function Conflicts(props: { readonly conflicts: readonly UndoConflict[] }) {
  if (props.conflicts.length === 0) return null;
  return (
    <>
      <p className="down">
        {props.conflicts.length === 1
          ? 'Changed since by someone else, so it is left as it is:'
          : `${props.conflicts.length} files were changed since by someone else, so they are left as they are:`}
      </p>
      <ul className="paths" aria-label="Conflicts">
        {props.conflicts.map((conflict) => (
          <li key={conflict.path}>
            <code>{conflict.path}</code> <span className="muted">{conflict.reason}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * "Undo changes" for a finished task: a dialog that first asks fs-service what undoing would do
 * (a dry run: each file and what would happen to it, and the files someone changed since, which
 * are never overwritten), then does it on confirmation and shows what was done.
 */
export function UndoChanges(props: { readonly taskId: string; readonly onUndone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [plan, setPlan] = useState<Plan>({ phase: 'loading' });
  const [result, setResult] = useState<UndoAnswer>();
  const [error, setError] = useState<string>();
  const path = `/api/tasks/${encodeURIComponent(props.taskId)}/undo`;

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  const start = (): void => {
    setOpen(true);
    setError(undefined);
    setPlan({ phase: 'loading' });
    api<UndoAnswer>(path, { method: 'POST', body: { dryRun: true } }).then(
      (answer) => setPlan({ phase: 'ready', plan: answer }),
      (failure: unknown) => setPlan({ phase: 'failed', error: errorText(failure) }),
    );
  };

  const confirm = async (ready: UndoAnswer): Promise<void> => {
    setPlan({ phase: 'undoing', plan: ready });
    try {
      const answer = await api<UndoAnswer>(path, {
        method: 'POST',
        body: { skipConflicts: ready.conflicts.length > 0 },
      });
      setResult(answer);
      setOpen(false);
      props.onUndone();
    } catch (failure) {
      setError(errorText(failure));
      setPlan({ phase: 'ready', plan: ready });
    }
  };

  const ready = plan.phase === 'ready' || plan.phase === 'undoing' ? plan.plan : undefined;
  const nothing = ready !== undefined && ready.steps.length === 0;
  return (
    <>
      {result === undefined ? (
        <button type="button" className="secondary" onClick={start}>
          Undo changes
        </button>
      ) : (
        <section className="notice undo-result" aria-label="Undo result">
          <p>
            {result.steps.length === 0
              ? 'Nothing was undone.'
              : `Undone: ${result.steps.length} ${result.steps.length === 1 ? 'change' : 'changes'}.`}
          </p>
          <Steps steps={result.steps} label="Changes undone" />
          <Conflicts conflicts={result.conflicts} />
        </section>
      )}
      {/* Esc closes a modal dialog by itself; onClose keeps the page's state in step with it. */}
      <dialog ref={dialog} className="dialog" aria-labelledby="undo-title" onClose={() => setOpen(false)}>
        <h2 id="undo-title">Undo this task’s changes?</h2>
        {plan.phase === 'loading' && <p className="muted">Working out what would change…</p>}
        {plan.phase === 'failed' && (
          <p className="down" role="alert">
            {plan.error}
          </p>
        )}
        {ready !== undefined && (
          <>
            {nothing ? (
              <p>Nothing to undo: the files are as they were before this task, or were undone already.</p>
            ) : (
              <p>
                {ready.steps.length === 1
                  ? 'This puts back 1 change. Files the task created go to the trash.'
                  : `This puts back ${ready.steps.length} changes. Files the task created go to the trash.`}
              </p>
            )}
            <Steps steps={ready.steps} label="Changes to undo" />
            <Conflicts conflicts={ready.conflicts} />
          </>
        )}
        {error !== undefined && (
          <p className="down" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button
            type="button"
            disabled={ready === undefined || nothing || plan.phase === 'undoing'}
            onClick={() => ready !== undefined && void confirm(ready)}
          >
            {plan.phase === 'undoing'
              ? 'Undoing…'
              : ready !== undefined && ready.conflicts.length > 0
                ? 'Undo the rest'
                : 'Undo'}
          </button>
          <button type="button" className="secondary" onClick={() => setOpen(false)}>
            Keep changes
          </button>
        </div>
      </dialog>
    </>
  );
}
