import type { ProjectView } from '@steward/contracts';
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import { createPortal } from 'react-dom';
import { api } from './api.js';
import { FolderDialog } from './folder-dialog.js';
import { fieldErrorsOf, foldersFromLines, projectsChanged, type FieldErrors } from './project-api.js';

/**
 * A modal dialog that opens when mounted. Esc (or `close()` on the element) closes it through the
 * browser, which puts focus back where it was; `onClose` then lets the owner unmount it.
 */
export function Modal(props: {
  readonly title: string;
  readonly onClose: () => void;
  readonly dialogRef: RefObject<HTMLDialogElement | null>;
  readonly className?: string;
  readonly children: ReactNode;
}) {
  const titleId = useId();
  const { dialogRef } = props;
  useEffect(() => {
    const element = dialogRef.current;
    if (element !== null && !element.open) element.showModal();
  }, [dialogRef]);
  return createPortal(
    <dialog
      ref={dialogRef}
      className={`dialog ${props.className ?? ''}`}
      aria-labelledby={titleId}
      // A dialog opened from this one (Browse…) closes on its own; only this one's close counts.
      onClose={(event) => event.target === event.currentTarget && props.onClose()}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>,
    document.body,
  );
}

/** Inline error under a field, tied to it by `aria-describedby`. */
export function FieldError(props: { readonly id: string; readonly text: string | undefined }) {
  if (props.text === undefined) return null;
  return (
    <p id={props.id} className="down field-error">
      {props.text}
    </p>
  );
}

/**
 * "New project": a name, instructions for the model, and folders (one per line, or chosen with
 * Browse…). What the API refuses shows under the field it is about; nothing is created until it
 * accepts.
 */
export function NewProjectDialog(props: {
  readonly onClose: () => void;
  readonly onCreated: (project: ProjectView) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [instructions, setInstructions] = useState('');
  const [folders, setFolders] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({ fields: {} });
  const ids = { name: useId(), instructions: useId(), folders: useId() };
  const errorId = (field: keyof typeof ids): string => `${ids[field]}-error`;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({ fields: {} });
    try {
      const created = await api<ProjectView>('/api/projects', {
        method: 'POST',
        body: { name, instructions, folders: foldersFromLines(folders) },
      });
      projectsChanged();
      dialog.current?.close();
      props.onCreated(created);
    } catch (failure) {
      setErrors(fieldErrorsOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const invalid = (field: keyof typeof ids) =>
    errors.fields[field] === undefined
      ? {}
      : { 'aria-invalid': true as const, 'aria-describedby': errorId(field) };

  return (
    <>
      <Modal title="New project" onClose={props.onClose} dialogRef={dialog} className="project-dialog">
        <form className="project-form" onSubmit={(event) => void submit(event)} noValidate>
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            type="text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="Household paperwork"
            autoComplete="off"
            maxLength={120}
            autoFocus
            {...invalid('name')}
          />
          <FieldError id={errorId('name')} text={errors.fields.name} />

          <label htmlFor={ids.instructions}>Instructions</label>
          <p className="muted field-hint">Steward reads these before every step of the project’s tasks.</p>
          <textarea
            id={ids.instructions}
            rows={5}
            value={instructions}
            onChange={(event) => setInstructions(event.target.value)}
            placeholder="Amounts are in euros. Name files YYYY-MM-DD shop.pdf. Never delete an original."
            {...invalid('instructions')}
          />
          <FieldError id={errorId('instructions')} text={errors.fields.instructions} />

          <label htmlFor={ids.folders}>Folders</label>
          <p className="muted field-hint">One folder per line; new tasks in the project start with them.</p>
          <textarea
            id={ids.folders}
            rows={3}
            value={folders}
            onChange={(event) => setFolders(event.target.value)}
            placeholder="/home/you/Documents/bills"
            spellCheck={false}
            {...invalid('folders')}
          />
          <FieldError id={errorId('folders')} text={errors.fields.folders} />

          {errors.form !== undefined && (
            <p className="down" role="alert">
              {errors.form}
            </p>
          )}
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? 'Creating…' : 'Create project'}
            </button>
            <button
              type="button"
              className="secondary"
              aria-haspopup="dialog"
              onClick={() => setBrowsing(true)}
            >
              Browse for a folder…
            </button>
            <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </Modal>
      {browsing && (
        <FolderDialog
          start={foldersFromLines(folders).at(-1) ?? ''}
          onClose={() => setBrowsing(false)}
          onChoose={(path) => {
            setBrowsing(false);
            setFolders((text) => foldersFromLines(`${text}\n${path}`).join('\n'));
          }}
        />
      )}
    </>
  );
}
