import { basename } from './format.js';

/*
 * Extensions the file route shows in the browser (taskFileType in the contracts says so for the
 * server; file-chips.spec.ts holds the two together). The page keeps its own short list so it does
 * not bundle the contracts' schemas; the server decides what is actually shown, and a chip that
 * downloads always asks for a download.
 */
const SHOWN_IN_BROWSER: ReadonlySet<string> = new Set([
  'txt',
  'text',
  'log',
  'md',
  'markdown',
  'csv',
  'tsv',
  'json',
  'jsonl',
  'yaml',
  'yml',
  'toml',
  'ini',
  'xml',
  'py',
  'sql',
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'avif',
  'bmp',
  'pdf',
]);

/** Whether opening the file shows it in a new tab (text, images, PDF) rather than saving it. */
export function opensInBrowser(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && SHOWN_IN_BROWSER.has(name.slice(dot + 1).toLowerCase());
}

export function fileUrl(taskId: string, path: string, download: boolean): string {
  const url = `/api/tasks/${encodeURIComponent(taskId)}/files?path=${encodeURIComponent(path)}`;
  return download ? `${url}&download=1` : url;
}

/**
 * The files a task changed, each a chip: text, images and PDFs open in a new tab (with a second link
 * to save them), anything else downloads. Names are the person's or the model's text: shown as text.
 */
export function FileChips(props: { readonly taskId: string; readonly files: readonly string[] }) {
  if (props.files.length === 0) return <p className="muted">No files changed yet</p>;
  return (
    <ul className="chips file-chips" aria-label="Files the task changed">
      {props.files.map((file) => {
        const name = basename(file);
        const shown = opensInBrowser(name);
        return (
          <li key={file} className="file-chip">
            {shown ? (
              <a
                className="chip"
                href={fileUrl(props.taskId, file, false)}
                target="_blank"
                rel="noopener noreferrer"
                title={file}
                aria-label={`Open ${name}`}
              >
                {name}
              </a>
            ) : (
              <a
                className="chip"
                href={fileUrl(props.taskId, file, true)}
                download={name}
                title={file}
                aria-label={`Download ${name}`}
              >
                {name}
              </a>
            )}
            {shown && (
              <a
                className="chip-save"
                href={fileUrl(props.taskId, file, true)}
                download={name}
                title={`Save ${file}`}
                aria-label={`Download ${name}`}
              >
                <span aria-hidden="true">⤓</span>
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}
