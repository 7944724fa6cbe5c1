import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { api, errorText } from './api.js';

/** One subfolder as `GET /api/folders/browse` lists it (fs.roots.browse). */
interface BrowseFolder {
  readonly name: string;
  readonly path: string;
  readonly hidden: boolean;
  readonly link: boolean;
}

interface Listing {
  /** Absent for the list of folders the organization allows. */
  readonly path?: string;
  readonly root?: string;
  readonly parent?: string;
  readonly folders: readonly BrowseFolder[];
  readonly more: number;
  readonly connectable: boolean;
  readonly reason?: string;
}

interface Crumb {
  readonly label: string;
  readonly path: string;
}

const browseUrl = (path: string | undefined): string =>
  path === undefined ? '/api/folders/browse' : `/api/folders/browse?path=${encodeURIComponent(path)}`;

/** The way from the root browsing stays in down to the folder shown; nothing above the root leads anywhere. */
function crumbsOf(listing: Listing): Crumb[] {
  const { path, root } = listing;
  if (path === undefined || root === undefined) return [];
  const crumbs: Crumb[] = [{ label: root, path: root }];
  let at = root;
  for (const part of path.slice(root.length).split('/')) {
    if (part === '') continue;
    at = at === '/' ? `/${part}` : `${at}/${part}`;
    crumbs.push({ label: part, path: at });
  }
  return crumbs;
}

/** "Browse…" beside the Folder box: opens the dialog at the folder typed there, if it can. */
export function BrowseFolderButton(props: {
  readonly current: string;
  readonly onChoose: (path: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  return (
    <>
      <button type="button" className="secondary" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Browse…
      </button>
      {open && <FolderDialog start={props.current.trim()} onChoose={props.onChoose} onClose={close} />}
    </>
  );
}

/**
 * A modal folder picker over the folders the policy allows. The list is one listbox: arrows move,
 * Enter (or →) opens a folder, Backspace (or ←) goes up, Esc closes. Rendered outside the composer's
 * form, so no key pressed here submits it.
 */
export function FolderDialog(props: {
  readonly start: string;
  readonly onChoose: (path: string) => void;
  readonly onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const ticket = useRef(0);
  const [listing, setListing] = useState<Listing>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [active, setActive] = useState(0);
  const [showHidden, setShowHidden] = useState(false);
  const titleId = useId();
  const listId = useId();

  /** Shows `path` (the starting place when undefined); the latest request wins. */
  const go = useCallback(async (path: string | undefined, orStart = false): Promise<void> => {
    const mine = ++ticket.current;
    setLoading(true);
    setError(undefined);
    try {
      let next: Listing;
      try {
        next = await api<Listing>(browseUrl(path));
      } catch (failure) {
        // A typed path that cannot be shown still opens the dialog where browsing starts.
        if (!orStart || path === undefined) throw failure;
        next = await api<Listing>(browseUrl(undefined));
      }
      if (mine !== ticket.current) return;
      setListing(next);
      setActive(0);
    } catch (failure) {
      if (mine === ticket.current) setError(errorText(failure));
    } finally {
      if (mine === ticket.current) setLoading(false);
    }
  }, []);

  const { onChoose, onClose } = props;
  // Where it opens is read once: choosing changes the Folder box, which must not reopen the dialog.
  const start = useRef(props.start);
  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
    list.current?.focus();
    void go(start.current.startsWith('/') ? start.current : undefined, true);
  }, [go]);

  const visible = (listing?.folders ?? []).filter((folder) => showHidden || !folder.hidden);
  const hiddenCount = (listing?.folders.length ?? 0) - visible.length;
  const current = Math.min(active, Math.max(visible.length - 1, 0));
  const optionId = (index: number): string => `${listId}-option-${index}`;

  useEffect(() => {
    document.getElementById(`${listId}-option-${current}`)?.scrollIntoView({ block: 'nearest' });
  }, [current, listId, listing]);

  const open = (folder: BrowseFolder | undefined): void => {
    if (folder === undefined) return;
    void go(folder.path);
    list.current?.focus();
  };
  const up = (): void => {
    if (listing?.parent !== undefined) void go(listing.parent);
  };
  // The choice lands at once (the element's close event comes a task later); closing through the
  // element (not by unmounting it) lets the browser put focus back on "Browse…".
  const finish = (path?: string): void => {
    if (path !== undefined) onChoose(path);
    dialog.current?.close();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const last = visible.length - 1;
    const moves: Record<string, () => void> = {
      ArrowDown: () => setActive(Math.min(current + 1, last)),
      ArrowUp: () => setActive(Math.max(current - 1, 0)),
      Home: () => setActive(0),
      End: () => setActive(Math.max(last, 0)),
      PageDown: () => setActive(Math.min(current + 10, last)),
      PageUp: () => setActive(Math.max(current - 10, 0)),
      Enter: () => open(visible[current]),
      ArrowRight: () => open(visible[current]),
      Backspace: up,
      ArrowLeft: up,
    };
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    move();
  };

  const crumbs = listing === undefined ? [] : crumbsOf(listing);
  const here = listing?.path;
  return createPortal(
    <dialog ref={dialog} className="folder-dialog" aria-labelledby={titleId} onClose={onClose}>
      <header className="folder-dialog-head">
        <h2 id={titleId}>Choose a folder</h2>
        <label className="show-hidden">
          <input
            type="checkbox"
            checked={showHidden}
            onChange={(event) => setShowHidden(event.target.checked)}
          />{' '}
          Show hidden folders
        </label>
      </header>
      <nav aria-label="Folder path" className="crumbs">
        <ol>
          {listing !== undefined && listing.root !== '/' && (
            <li>
              {here === undefined ? (
                <span aria-current="location">Allowed folders</span>
              ) : (
                <button type="button" className="link" onClick={() => void go(undefined)}>
                  Allowed folders
                </button>
              )}
            </li>
          )}
          {crumbs.map((crumb, index) => (
            <li key={crumb.path}>
              {index === crumbs.length - 1 ? (
                <span aria-current="location">{crumb.label}</span>
              ) : (
                <button type="button" className="link" onClick={() => void go(crumb.path)}>
                  {crumb.label}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <ul
        ref={list}
        id={listId}
        role="listbox"
        aria-label="Folders"
        aria-busy={loading}
        tabIndex={0}
        className="folder-list"
        aria-activedescendant={visible.length === 0 ? undefined : optionId(current)}
        onKeyDown={onKeyDown}
      >
        {visible.map((folder, index) => (
          <li
            key={folder.path}
            id={optionId(index)}
            role="option"
            aria-selected={index === current}
            className={index === current ? 'folder-option active' : 'folder-option'}
            title={folder.link ? `${folder.name} → ${folder.path}` : folder.path}
            onClick={() => {
              setActive(index);
              open(folder);
            }}
          >
            <span aria-hidden="true" className="folder-icon">
              {folder.link ? '↪' : '▸'}
            </span>
            {folder.name}
          </li>
        ))}
      </ul>
      <div className="folder-dialog-status" role="status" aria-live="polite">
        {loading && <p className="muted">Loading…</p>}
        {!loading && listing !== undefined && visible.length === 0 && (
          <p className="muted">
            {hiddenCount > 0 ? `No folders here besides ${hiddenCount} hidden` : 'No folders here'}
          </p>
        )}
        {!loading && listing !== undefined && listing.more > 0 && (
          <p className="muted">
            {listing.more} more {listing.more === 1 ? 'folder' : 'folders'} not shown; type the path instead
          </p>
        )}
        {!loading && listing !== undefined && !listing.connectable && listing.reason !== undefined && (
          <p className="muted">{listing.reason}</p>
        )}
      </div>
      {error !== undefined && (
        <p className="down" role="alert">
          {error}
        </p>
      )}
      <footer className="folder-dialog-actions">
        <code className="folder-dialog-path" title={here}>
          {here ?? ''}
        </code>
        <button type="button" className="secondary" onClick={() => finish()}>
          Cancel
        </button>
        <button
          type="button"
          disabled={loading || here === undefined || listing?.connectable !== true}
          onClick={() => (here === undefined ? undefined : finish(here))}
        >
          Choose this folder
        </button>
      </footer>
    </dialog>,
    document.body,
  );
}
