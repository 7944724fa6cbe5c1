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

/** Subfolders one browse reply lists at most; the rest are counted in `more`. */
export const MAX_BROWSE_FOLDERS = 500;

export const browseFolderSchema = z.object({
  name: z.string(),
  /** Where browsing goes next: the real path (for a link, where it leads). */
  path: z.string(),
  /** Its name starts with a dot. */
  hidden: z.boolean(),
  /** A symbolic link to a folder that stays within what may be browsed. */
  link: z.boolean(),
});
export type BrowseFolder = z.infer<typeof browseFolderSchema>;

/**
 * fs-service: the folders a person may pick from in the page's folder dialog. Lists subfolders only
 * (names, never file contents), within what managed policy lets a person connect, never Steward's own
 * home, never through a link leading elsewhere.
 */
export const fsRootsBrowse = defineRpc({
  subject: 'fs.roots.browse',
  server: 'fs-service',
  callers: ['ui'],
  request: z
    .object({
      /** Omitted: the person's home, or the allowed folders when policy lists them. */
      path: absolutePathSchema.optional(),
    })
    .strict(),
  response: z.object({
    /** The folder listed, as a real path; absent for the list of allowed folders itself. */
    path: z.string().optional(),
    /** The allowed folder (or `/`) `path` lies in: breadcrumbs above it lead nowhere. */
    root: z.string().optional(),
    /** One level up, when that may still be browsed. */
    parent: z.string().optional(),
    folders: z.array(browseFolderSchema),
    /** Subfolders left out past MAX_BROWSE_FOLDERS. */
    more: z.number().int().nonnegative(),
    /** Whether `path` may be connected to a task (the checks fs.task.open makes). */
    connectable: z.boolean(),
    reason: z.string().optional(),
  }),
  errors: [
    'INVALID_INPUT',
    'NOT_FOUND',
    'OUTSIDE_ROOT',
    'DENIED_BY_POLICY',
    'FORBIDDEN',
    'UNAVAILABLE',
    'INTERNAL',
  ],
  timeoutMs: 10_000,
  description: 'Lists the subfolders of a folder a person may connect, for the folder dialog.',
});
