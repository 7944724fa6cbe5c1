import { z } from 'zod';
import { recordIdSchema, taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { findTool } from '../tools.js';
import { absolutePathSchema } from './workspace.js';

/*
 * fs-service, the only door to the person's files. Every file tool request names its task, and
 * fs-service checks it against the folders that task was opened with (`fs.task.open`). Only the
 * orchestrator may call these: `ui` holds `fs.roots.>` and nothing else of `fs.`, so the server
 * refuses anything else from it. Every tool reply carries `output`, the text the model is shown.
 */

const FS_TOOL_CALLERS = ['orchestrator'] as const;

/** Most folders one task may connect. */
export const MAX_TASK_FOLDERS = 32;

const outputField = z.string().describe('What the model is shown as the tool result.');

export const fsTaskOpen = defineRpc({
  subject: 'fs.task.open',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z
    .object({ taskId: taskIdSchema, folders: z.array(absolutePathSchema).min(1).max(MAX_TASK_FOLDERS) })
    .strict(),
  response: z.object({
    taskId: z.string(),
    roots: z.array(z.object({ path: z.string(), realPath: z.string() })),
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'DENIED_BY_POLICY', 'INTERNAL'],
  timeoutMs: 5_000,
  description:
    'Connects folders to a task (again, replacing its folders): checks each against the managed allowlist and remembers their real paths.',
});

export const fsTaskClose = defineRpc({
  subject: 'fs.task.close',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z.object({ taskId: taskIdSchema }).strict(),
  response: z.object({ closed: z.boolean() }),
  errors: ['INVALID_INPUT', 'INTERNAL'],
  timeoutMs: 5_000,
  description: 'Ends file access for a task. Its journal stays, so its changes can still be undone.',
});

/** A tool's own input plus the task it acts for. */
function withTask<Shape extends z.core.$ZodShape, Config extends z.core.$ZodObjectConfig>(
  toolInput: z.ZodObject<Shape, Config>,
) {
  return toolInput.extend({ taskId: taskIdSchema });
}

export const directoryEntryKinds = ['file', 'directory', 'symlink', 'other'] as const;

export const fsDirList = defineRpc({
  subject: 'fs.dir.list',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('list_directory').input),
  response: z.object({
    path: z.string(),
    entries: z.array(
      z.object({
        path: z.string(),
        /** Relative to the listed folder, `/`-separated. */
        name: z.string(),
        kind: z.enum(directoryEntryKinds),
        /** Bytes, for files. */
        size: z.number().int().nonnegative().optional(),
        depth: z.number().int().min(1),
      }),
    ),
    /** Entries seen, listed or not. */
    totalEntries: z.number().int().nonnegative(),
    truncated: z.boolean(),
    output: outputField,
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'OUTSIDE_ROOT', 'DENIED_BY_POLICY', 'TIMEOUT', 'INTERNAL'],
  timeoutMs: 30_000,
  description: 'Serves the list_directory tool.',
});

export const readableKinds = ['text', 'pdf', 'docx', 'xlsx', 'pptx'] as const;

export const fsFileRead = defineRpc({
  subject: 'fs.file.read',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('read_file').input),
  response: z.object({
    path: z.string(),
    kind: z.enum(readableKinds),
    /** The lines returned, joined with `\n`, without line numbers. */
    content: z.string(),
    /** 0-based index of the first line returned. */
    offset: z.number().int().nonnegative(),
    lines: z.number().int().nonnegative(),
    /** Known when the whole file (or extracted text) was seen. */
    totalLines: z.number().int().nonnegative().optional(),
    /** More lines follow: read again from `offset + lines`. */
    hasMore: z.boolean(),
    /** Lines cut at the per-line limit. */
    longLinesCut: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    warnings: z.array(z.string()),
    output: outputField,
  }),
  errors: [
    'INVALID_INPUT',
    'NOT_FOUND',
    'OUTSIDE_ROOT',
    'DENIED_BY_POLICY',
    'TOO_LARGE',
    'NOT_TEXT',
    'TIMEOUT',
    'INTERNAL',
  ],
  timeoutMs: 60_000,
  description: 'Serves the read_file tool.',
});

const writeErrors = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'OUTSIDE_ROOT',
  'DENIED_BY_POLICY',
  'EXISTS',
  'TOO_LARGE',
  'INTERNAL',
] as const;

export const fsFileWrite = defineRpc({
  subject: 'fs.file.write',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('write_file').input),
  response: z.object({
    path: z.string(),
    bytes: z.number().int().nonnegative(),
    created: z.boolean(),
    /** Folders created on the way, outermost first. */
    createdFolders: z.array(z.string()),
    output: outputField,
  }),
  errors: [...writeErrors],
  timeoutMs: 60_000,
  description: 'Serves the write_file tool.',
});

export const fsFileEdit = defineRpc({
  subject: 'fs.file.edit',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('edit_file').input),
  response: z.object({
    path: z.string(),
    replacements: z.number().int().min(1),
    bytes: z.number().int().nonnegative(),
    output: outputField,
  }),
  errors: [...writeErrors, 'NOT_TEXT', 'AMBIGUOUS_EDIT'],
  timeoutMs: 60_000,
  description: 'Serves the edit_file tool.',
});

export const fsSearchGlob = defineRpc({
  subject: 'fs.search.glob',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('glob').input),
  response: z.object({
    paths: z.array(z.object({ path: z.string(), kind: z.enum(['file', 'symlink']) })),
    totalMatches: z.number().int().nonnegative(),
    truncated: z.boolean(),
    reason: z.enum(['result-limit', 'time-limit']).optional(),
    output: outputField,
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'OUTSIDE_ROOT', 'DENIED_BY_POLICY', 'CANCELLED', 'INTERNAL'],
  timeoutMs: 60_000,
  description: 'Serves the glob tool.',
});

export const fsSearchGrep = defineRpc({
  subject: 'fs.search.grep',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('grep').input),
  response: z.object({
    matches: z.array(
      z.object({ path: z.string(), line: z.number().int(), column: z.number().int(), text: z.string() }),
    ),
    totalMatches: z.number().int().nonnegative(),
    filesWithMatches: z.number().int().nonnegative(),
    filesScanned: z.number().int().nonnegative(),
    truncated: z.boolean(),
    reason: z.enum(['result-limit', 'time-limit']).optional(),
    output: outputField,
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'OUTSIDE_ROOT', 'DENIED_BY_POLICY', 'CANCELLED', 'INTERNAL'],
  timeoutMs: 60_000,
  description: 'Serves the grep tool.',
});

export const fsDirMake = defineRpc({
  subject: 'fs.dir.make',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('make_directory').input),
  response: z.object({
    path: z.string(),
    /** Folders created, outermost first; empty when it already existed. */
    createdFolders: z.array(z.string()),
    output: outputField,
  }),
  errors: [...writeErrors],
  timeoutMs: 10_000,
  description: 'Serves the make_directory tool.',
});

export const fsPathMove = defineRpc({
  subject: 'fs.path.move',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('move_path').input).extend({
    /** Replace a file at `to` (the replaced file goes to the trash). Never replaces a folder. */
    overwrite: z.boolean().optional(),
  }),
  response: z.object({
    from: z.string(),
    to: z.string(),
    kind: z.enum(['file', 'directory', 'symlink']),
    /** Trash item holding what `overwrite` replaced. */
    replacedTrashId: z.string().optional(),
    output: outputField,
  }),
  errors: [...writeErrors],
  timeoutMs: 60_000,
  description: 'Serves the move_path tool.',
});

/** What one delete would remove, as the person is shown it before approving. */
export const deletePreviewSchema = z.object({
  path: z.string(),
  kind: z.enum(['file', 'directory', 'symlink']),
  files: z.number().int().nonnegative(),
  folders: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** Everything that would go, folder first, capped at `MAX_DELETE_PREVIEW_ENTRIES`. */
  entries: z.array(
    z.object({ path: z.string(), kind: z.enum(['file', 'directory', 'symlink', 'other']), size: z.number() }),
  ),
  entriesTruncated: z.boolean(),
  /** Binds an approval to exactly this listing: any change in between asks again. */
  digest: z.string(),
  /** More files than the policy's bulk threshold: the approval must confirm the bulk delete. */
  bulk: z.boolean(),
  bulkThreshold: z.number().int(),
});
export type DeletePreview = z.infer<typeof deletePreviewSchema>;
export const MAX_DELETE_PREVIEW_ENTRIES = 1_000;

export const fsDeletePreview = defineRpc({
  subject: 'fs.delete.preview',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('delete_path').input),
  response: deletePreviewSchema,
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'OUTSIDE_ROOT', 'DENIED_BY_POLICY', 'TOO_LARGE', 'INTERNAL'],
  timeoutMs: 30_000,
  description: 'Lists what delete_path would move to the trash, for the person to approve.',
});

export const deleteApprovalSchema = z
  .object({
    /** The orchestrator's approval record the person answered. */
    approvalId: recordIdSchema,
    /** `digest` of the preview the person saw. */
    digest: z.string().min(1).max(128),
    /** The person confirmed a bulk delete. */
    bulkConfirmed: z.boolean().optional(),
  })
  .strict();

export const fsPathDelete = defineRpc({
  subject: 'fs.path.delete',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: withTask(findTool('delete_path').input).extend({ approval: deleteApprovalSchema.optional() }),
  response: z.object({
    path: z.string(),
    trashId: z.string(),
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    output: outputField,
  }),
  errors: [...writeErrors, 'NEEDS_APPROVAL'],
  timeoutMs: 120_000,
  description:
    'delete_path: moves a file or folder to the trash. Without an approval matching the current preview it answers NEEDS_APPROVAL with the preview in details.',
});

export const fileChangeOps = ['write', 'edit', 'mkdir', 'move', 'delete'] as const;
export const fileChangeSchema = z.object({
  seq: z.number().int(),
  op: z.enum(fileChangeOps),
  path: z.string(),
  /** For moves: where it went. */
  to: z.string().optional(),
  at: z.string(),
  undone: z.boolean(),
});
export type FileChange = z.infer<typeof fileChangeSchema>;

export const fsTaskChanges = defineRpc({
  subject: 'fs.task.changes',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z.object({ taskId: taskIdSchema }).strict(),
  response: z.object({
    changes: z.array(fileChangeSchema),
    /** Paths the task created or changed that still exist as it left them, in order. */
    filesChanged: z.array(z.string()),
  }),
  errors: ['INVALID_INPUT', 'INTERNAL'],
  timeoutMs: 10_000,
  description: "A task's journaled file changes.",
});

export const undoStepSchema = z.object({
  op: z.enum(fileChangeOps),
  path: z.string(),
  /** What undoing did: restored the earlier content, removed a created file (to the trash), … */
  action: z.string(),
});
export const undoConflictSchema = z.object({ path: z.string(), reason: z.string() });

export const fsTaskUndo = defineRpc({
  subject: 'fs.task.undo',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z
    .object({
      taskId: taskIdSchema,
      /** Undo what can be undone and leave the conflicting files as they are. */
      skipConflicts: z.boolean().optional(),
      /** Only report what undo would do. */
      dryRun: z.boolean().optional(),
    })
    .strict(),
  response: z.object({
    steps: z.array(undoStepSchema),
    conflicts: z.array(undoConflictSchema),
    dryRun: z.boolean(),
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'EXISTS', 'DENIED_BY_POLICY', 'INTERNAL'],
  timeoutMs: 120_000,
  description:
    "Restores the folders as they were before a task's writes, edits, moves and deletes. Refuses with EXISTS, listing them in details.conflicts, when files were changed since by someone else.",
});

export const trashItemSchema = z.object({
  id: z.string(),
  originalPath: z.string(),
  kind: z.enum(['file', 'directory', 'symlink']),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  deletedAt: z.string(),
  taskId: z.string().optional(),
  /** Why it is here: the agent deleted it, a move replaced it, an undo removed what a task created. */
  reason: z.enum(['delete', 'overwrite', 'undo']),
});
export type TrashItem = z.infer<typeof trashItemSchema>;

export const fsTrashList = defineRpc({
  subject: 'fs.trash.list',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z.object({ taskId: taskIdSchema.optional() }).strict(),
  response: z.object({ items: z.array(trashItemSchema), totalBytes: z.number().int().nonnegative() }),
  errors: ['INVALID_INPUT', 'INTERNAL'],
  timeoutMs: 10_000,
  description: 'What is in the trash, newest first.',
});

export const fsTrashRestore = defineRpc({
  subject: 'fs.trash.restore',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z.object({ id: recordIdSchema }).strict(),
  response: z.object({ path: z.string() }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'EXISTS', 'OUTSIDE_ROOT', 'DENIED_BY_POLICY', 'INTERNAL'],
  timeoutMs: 120_000,
  description:
    'Puts a trash item back where it was deleted from; refuses with EXISTS if something is there now.',
});

export const fsTrashEmpty = defineRpc({
  subject: 'fs.trash.empty',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z
    .object({
      /** Only these items; omit for everything. */
      ids: z.array(recordIdSchema).min(1).max(10_000).optional(),
    })
    .strict(),
  response: z.object({ removed: z.number().int().nonnegative(), bytesFreed: z.number().int().nonnegative() }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'INTERNAL'],
  timeoutMs: 300_000,
  description: 'Permanently removes trash items. A separate, explicit action of the person.',
});

/** Events fs-service publishes: `events.fs.task.<taskId>.changed` / `.undone`. */
export const fsTaskChangedEventSchema = fileChangeSchema.extend({ taskId: z.string() });
export const fsTaskUndoneEventSchema = z.object({
  taskId: z.string(),
  steps: z.array(undoStepSchema),
  conflicts: z.array(undoConflictSchema),
});

/**
 * Raw bytes one `fs.file.fetch` reply carries at most: as base64 (4/3 of it) plus the envelope, a
 * reply stays well under the bus's 8 MiB `max_payload` (BUS_MAX_PAYLOAD_BYTES).
 */
export const FILE_FETCH_MAX_CHUNK_BYTES = 4 * 1024 * 1024;

export const fsFileFetch = defineRpc({
  subject: 'fs.file.fetch',
  server: 'fs-service',
  callers: [...FS_TOOL_CALLERS],
  request: z
    .object({
      taskId: taskIdSchema,
      path: absolutePathSchema,
      /** Byte to start at; 0 when omitted. */
      offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
      /** Bytes wanted; FILE_FETCH_MAX_CHUNK_BYTES when omitted. */
      length: z.number().int().min(1).max(FILE_FETCH_MAX_CHUNK_BYTES).optional(),
      /** `version` of an earlier chunk: answers CONFLICT when the file changed since. */
      version: z.string().min(1).max(200).optional(),
    })
    .strict(),
  response: z.object({
    /** The real path read. */
    path: z.string(),
    size: z.number().int().nonnegative(),
    modifiedAt: z.string(),
    /** Changes whenever the file does, so a download of several chunks never mixes two versions. */
    version: z.string(),
    offset: z.number().int().nonnegative(),
    /** Bytes in `data`. */
    bytes: z.number().int().nonnegative(),
    /** The bytes, base64. */
    data: z.string(),
    /** Nothing follows this chunk. */
    eof: z.boolean(),
  }),
  errors: [
    'INVALID_INPUT',
    'NOT_FOUND',
    'OUTSIDE_ROOT',
    'DENIED_BY_POLICY',
    'FORBIDDEN',
    'CONFLICT',
    'UNAVAILABLE',
    'INTERNAL',
  ],
  timeoutMs: 30_000,
  description:
    "The raw bytes of a file in a task's folders, one chunk at a time, for the person to open or download. Works after the task ended, as undo does.",
});

export const FS_RPCS = [
  fsTaskOpen,
  fsTaskClose,
  fsDirList,
  fsFileRead,
  fsFileWrite,
  fsFileEdit,
  fsSearchGlob,
  fsSearchGrep,
  fsDirMake,
  fsPathMove,
  fsDeletePreview,
  fsPathDelete,
  fsTaskChanges,
  fsTaskUndo,
  fsTrashList,
  fsTrashRestore,
  fsTrashEmpty,
  fsFileFetch,
] as const;

/** Which RPC serves each fs-service tool of the catalog. */
export const FS_TOOL_RPCS = {
  list_directory: fsDirList,
  read_file: fsFileRead,
  write_file: fsFileWrite,
  edit_file: fsFileEdit,
  glob: fsSearchGlob,
  grep: fsSearchGrep,
  make_directory: fsDirMake,
  move_path: fsPathMove,
  delete_path: fsPathDelete,
} as const;
