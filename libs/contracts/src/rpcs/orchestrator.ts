import { z } from 'zod';
import { recordIdSchema, taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { fsTaskUndo, fsTrashEmpty, fsTrashList, fsTrashRestore } from './fs.js';

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

export const ORCHESTRATOR_FILE_RPCS = [
  orchestratorTaskUndo,
  orchestratorTrashList,
  orchestratorTrashRestore,
  orchestratorTrashEmpty,
] as const;
