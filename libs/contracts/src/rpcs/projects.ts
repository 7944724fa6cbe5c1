import { z } from 'zod';
import { recordIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { TASK_LIMITS } from './tasks.js';
import { absolutePathSchema } from './workspace.js';

/*
 * Projects: a name, standing instructions and the folders a person keeps coming back to. Tasks
 * started in a project (`projectId` on POST /api/tasks) are listed under it and the model reads
 * the project's instructions with every turn.
 */

export const PROJECT_LIMITS = {
  nameLength: 120,
  instructionsLength: 20_000,
  projects: 500,
} as const;

const nameSchema = z
  .string()
  .trim()
  .min(1, 'give the project a name')
  .max(PROJECT_LIMITS.nameLength)
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'no control characters');
const instructionsSchema = z.string().max(PROJECT_LIMITS.instructionsLength);
const foldersSchema = z.array(absolutePathSchema).max(TASK_LIMITS.folders);

export const projectViewSchema = z
  .object({
    id: recordIdSchema,
    name: z.string(),
    /** What the model is told for every task of the project: conventions, audience, formats. */
    instructions: z.string(),
    /** Offered for new tasks of the project; each task still names its own folders. */
    folders: z.array(z.string()),
    taskCount: z.number().int().nonnegative(),
    /** Tasks of the project not yet ended. */
    activeTaskCount: z.number().int().nonnegative(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict();
export type ProjectView = z.infer<typeof projectViewSchema>;

const projectIdRequest = z.object({ projectId: recordIdSchema }).strict();
const forwarded = ['UNAVAILABLE', 'TIMEOUT'] as const;

export const orchestratorProjectCreate = defineRpc({
  subject: 'orchestrator.project.create',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({
      name: nameSchema,
      instructions: instructionsSchema.optional(),
      folders: foldersSchema.optional(),
    })
    .strict(),
  response: projectViewSchema,
  errors: ['INVALID_INPUT', 'EXISTS', 'TOO_LARGE', ...forwarded],
  timeoutMs: 10_000,
  description: 'Creates a project (POST /api/projects); names are unique, ignoring case.',
});

export const orchestratorProjectList = defineRpc({
  subject: 'orchestrator.project.list',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({}).strict(),
  response: z.object({ projects: z.array(projectViewSchema) }).strict(),
  errors: ['INVALID_INPUT', ...forwarded],
  timeoutMs: 10_000,
  description: 'Every project, by name (GET /api/projects).',
});

export const orchestratorProjectGet = defineRpc({
  subject: 'orchestrator.project.get',
  server: 'orchestrator',
  callers: ['ui'],
  request: projectIdRequest,
  response: projectViewSchema,
  errors: ['INVALID_INPUT', 'NOT_FOUND', ...forwarded],
  timeoutMs: 10_000,
  description: 'One project (GET /api/projects/:id); its tasks are GET /api/tasks?projectId=.',
});

export const orchestratorProjectUpdate = defineRpc({
  subject: 'orchestrator.project.update',
  server: 'orchestrator',
  callers: ['ui'],
  request: z
    .object({
      projectId: recordIdSchema,
      name: nameSchema.optional(),
      instructions: instructionsSchema.optional(),
      folders: foldersSchema.optional(),
    })
    .strict(),
  response: projectViewSchema,
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'EXISTS', ...forwarded],
  timeoutMs: 10_000,
  description: 'Renames a project or changes its instructions or folders (PATCH /api/projects/:id).',
});

export const orchestratorProjectDelete = defineRpc({
  subject: 'orchestrator.project.delete',
  server: 'orchestrator',
  callers: ['ui'],
  request: projectIdRequest,
  response: z.object({ deleted: z.literal(true), tasksKept: z.number().int().nonnegative() }).strict(),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT', ...forwarded],
  timeoutMs: 10_000,
  description:
    'Deletes a project (DELETE /api/projects/:id); refused while one of its tasks runs. Its tasks stay, outside any project.',
});

export const ORCHESTRATOR_PROJECT_RPCS = [
  orchestratorProjectCreate,
  orchestratorProjectList,
  orchestratorProjectGet,
  orchestratorProjectUpdate,
  orchestratorProjectDelete,
] as const;
