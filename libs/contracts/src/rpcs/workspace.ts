import { z } from 'zod';
import { defineRpc } from '../rpc.js';

const MAX_PATH_LENGTH = 4096;
export const absolutePathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path')
  .refine((p) => !p.includes('\0'), 'must not contain NUL bytes');

export const folderInspectionSchema = z.object({
  path: z.string(),
  /** The real path after resolving symlinks, when the folder exists. */
  realPath: z.string().optional(),
  exists: z.boolean(),
  isDirectory: z.boolean(),
  readable: z.boolean(),
  writable: z.boolean(),
  /** Whether managed policy lets a person connect this folder. */
  allowed: z.boolean(),
  reason: z.string().optional(),
});
export type FolderInspection = z.infer<typeof folderInspectionSchema>;

/** fs-service: may these folders be connected, and are they usable? Stats only, never lists. */
export const fsRootsInspect = defineRpc({
  subject: 'fs.roots.inspect',
  server: 'fs-service',
  callers: ['orchestrator', 'ui'],
  request: z.object({ folders: z.array(absolutePathSchema).min(1).max(32) }).strict(),
  response: z.object({ folders: z.array(folderInspectionSchema) }),
  errors: ['INVALID_INPUT', 'INTERNAL'],
  timeoutMs: 5_000,
  description:
    'Checks folders a person wants to connect: existence, access, and the managed folder allowlist.',
});

/**
 * orchestrator: is this set of folders a workspace a task can start in? Asks fs-service about
 * each folder and adds the orchestrator's own verdict (duplicates, nesting).
 */
export const orchestratorWorkspaceInspect = defineRpc({
  subject: 'orchestrator.workspace.inspect',
  server: 'orchestrator',
  callers: ['ui'],
  request: z.object({ folders: z.array(absolutePathSchema).min(1).max(32) }).strict(),
  response: z.object({
    ready: z.boolean(),
    folders: z.array(folderInspectionSchema),
    problems: z.array(z.string()),
  }),
  errors: ['INVALID_INPUT', 'UNAVAILABLE', 'TIMEOUT', 'INTERNAL'],
  timeoutMs: 8_000,
  description: 'Validates the folders of a task before it starts.',
});
