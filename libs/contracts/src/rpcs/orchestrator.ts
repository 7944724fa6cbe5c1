import { z } from 'zod';
import { recordIdSchema, taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { fsFileFetch, fsTaskUndo, fsTrashEmpty, fsTrashList, fsTrashRestore } from './fs.js';

/*
 * What the person asks of their files through the page. `ui` may not call fs-service beyond
 * `fs.roots.>`, so these go through the orchestrator, which owns tasks and answers for them.
 */

const forwardedErrors = ['UNAVAILABLE', 'TIMEOUT'] as const;

export const orchestratorTaskUndo = defineRpc({
  subject: 'orchestrator.task.undo',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({ taskId: taskIdSchema, skipConflicts: z.boolean().optional(), dryRun: z.boolean().optional() })
    .strict(),
  response: fsTaskUndo.response,
  errors: [...fsTaskUndo.errors, ...forwardedErrors],
  timeoutMs: fsTaskUndo.timeoutMs + 5_000,
  description: "Undoes a task's file changes (POST /api/tasks/:id/undo).",
});

export const orchestratorTrashList = defineRpc({
  subject: 'orchestrator.trash.list',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ taskId: taskIdSchema.optional() }).strict(),
  response: fsTrashList.response,
  errors: [...fsTrashList.errors, ...forwardedErrors],
  timeoutMs: fsTrashList.timeoutMs + 5_000,
  description: 'The trash, for the page (GET /api/trash).',
});

export const orchestratorTrashRestore = defineRpc({
  subject: 'orchestrator.trash.restore',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ id: recordIdSchema }).strict(),
  response: fsTrashRestore.response,
  errors: [...fsTrashRestore.errors, ...forwardedErrors],
  timeoutMs: fsTrashRestore.timeoutMs + 5_000,
  description: 'Restores one trash item (POST /api/trash/:id/restore).',
});

export const orchestratorTrashEmpty = defineRpc({
  subject: 'orchestrator.trash.empty',
  server: 'orchestrator',
  callers: ['ui'],
  request: fsTrashEmpty.request,
  response: fsTrashEmpty.response,
  errors: [...fsTrashEmpty.errors, ...forwardedErrors],
  timeoutMs: fsTrashEmpty.timeoutMs + 5_000,
  description: 'Empties the trash, all of it or the items named (POST /api/trash/empty).',
});

/**
 * One chunk of a file a task changed, for the page's chips (GET /api/tasks/:id/files). Only paths in
 * the task's `filesChanged` are served; fs-service still applies the task's folder containment.
 */
export const orchestratorTaskFile = defineRpc({
  subject: 'orchestrator.task.file',
  server: 'orchestrator',
  callers: ['ui'],
  request: fsFileFetch.request,
  response: fsFileFetch.response,
  errors: [...fsFileFetch.errors, ...forwardedErrors],
  timeoutMs: fsFileFetch.timeoutMs + 5_000,
  description: 'Reads a file a task changed, a chunk at a time, for the person to open or download.',
});

/** How the page's file route serves a file. */
export interface TaskFileType {
  /** Content-Type of a download. */
  readonly type: string;
  /**
   * How the browser may show it when opened; absent: only ever downloaded. Text is shown as
   * text/plain whatever it is, so markup in it stays text.
   */
  readonly inline?: 'text' | 'image' | 'pdf';
}

const TEXT = 'text/plain; charset=utf-8';
const OOXML = 'application/vnd.openxmlformats-officedocument';

/*
 * Types by extension; anything not here, HTML and SVG included (markup that runs script when shown
 * by the browser), is application/octet-stream and downloaded.
 */
const TASK_FILE_TYPES: ReadonlyMap<string, TaskFileType> = new Map(
  Object.entries({
    txt: { type: TEXT, inline: 'text' },
    text: { type: TEXT, inline: 'text' },
    log: { type: TEXT, inline: 'text' },
    md: { type: 'text/markdown; charset=utf-8', inline: 'text' },
    markdown: { type: 'text/markdown; charset=utf-8', inline: 'text' },
    csv: { type: 'text/csv; charset=utf-8', inline: 'text' },
    tsv: { type: 'text/tab-separated-values; charset=utf-8', inline: 'text' },
    json: { type: 'application/json', inline: 'text' },
    jsonl: { type: 'application/jsonl', inline: 'text' },
    yaml: { type: TEXT, inline: 'text' },
    yml: { type: TEXT, inline: 'text' },
    toml: { type: TEXT, inline: 'text' },
    ini: { type: TEXT, inline: 'text' },
    xml: { type: 'application/xml', inline: 'text' },
    py: { type: TEXT, inline: 'text' },
    sql: { type: TEXT, inline: 'text' },
    png: { type: 'image/png', inline: 'image' },
    jpg: { type: 'image/jpeg', inline: 'image' },
    jpeg: { type: 'image/jpeg', inline: 'image' },
    gif: { type: 'image/gif', inline: 'image' },
    webp: { type: 'image/webp', inline: 'image' },
    avif: { type: 'image/avif', inline: 'image' },
    bmp: { type: 'image/bmp', inline: 'image' },
    pdf: { type: 'application/pdf', inline: 'pdf' },
    docx: { type: `${OOXML}.wordprocessingml.document` },
    xlsx: { type: `${OOXML}.spreadsheetml.sheet` },
    pptx: { type: `${OOXML}.presentationml.presentation` },
    odt: { type: 'application/vnd.oasis.opendocument.text' },
    ods: { type: 'application/vnd.oasis.opendocument.spreadsheet' },
    odp: { type: 'application/vnd.oasis.opendocument.presentation' },
    zip: { type: 'application/zip' },
    gz: { type: 'application/gzip' },
    mp3: { type: 'audio/mpeg' },
    wav: { type: 'audio/wav' },
    mp4: { type: 'video/mp4' },
  } satisfies Record<string, TaskFileType>),
);

const UNKNOWN_FILE_TYPE: TaskFileType = { type: 'application/octet-stream' };

/** The type of a file by its name's extension. */
export function taskFileType(fileName: string): TaskFileType {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return UNKNOWN_FILE_TYPE;
  return TASK_FILE_TYPES.get(base.slice(dot + 1).toLowerCase()) ?? UNKNOWN_FILE_TYPE;
}

export const ORCHESTRATOR_FILE_RPCS = [
  orchestratorTaskUndo,
  orchestratorTrashList,
  orchestratorTrashRestore,
  orchestratorTrashEmpty,
  orchestratorTaskFile,
] as const;
