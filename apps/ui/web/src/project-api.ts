import type { ProjectView } from '@steward/contracts';
import { useEffect } from 'react';
import { api, ApiError, errorText } from './api.js';
import { usePolling } from './use-polling.js';

/** Fired after the page creates, changes or deletes a project, so every view of the list catches up at once. */
const PROJECTS_CHANGED = 'steward:projects-changed';

export function projectsChanged(): void {
  window.dispatchEvent(new Event(PROJECTS_CHANGED));
}

export const loadProjects = (): Promise<readonly ProjectView[]> =>
  api<{ projects: ProjectView[] }>('/api/projects').then((answer) => answer.projects);

export const projectApiPath = (projectId: string): string => `/api/projects/${encodeURIComponent(projectId)}`;

/** Every project, by name: polled, and reloaded as soon as this page changes one. */
export function useProjects(everyMs: number): {
  readonly value: readonly ProjectView[] | undefined;
  readonly error: unknown;
  readonly reload: () => void;
} {
  const projects = usePolling(loadProjects, everyMs);
  const { reload } = projects;
  useEffect(() => {
    window.addEventListener(PROJECTS_CHANGED, reload);
    return () => window.removeEventListener(PROJECTS_CHANGED, reload);
  }, [reload]);
  return projects;
}

export type ProjectField = 'name' | 'instructions' | 'folders';

/** A refusal split by field: which box it belongs under, and what is left for the form as a whole. */
export interface FieldErrors {
  readonly fields: Partial<Record<ProjectField, string>>;
  readonly form?: string;
}

const FIELDS: readonly ProjectField[] = ['name', 'instructions', 'folders'];

/**
 * Reads the API's refusals into per-field messages: a taken name (409 EXISTS) belongs under Name,
 * a bad body (400, with the schema's issues as details) under the field each issue names.
 */
export function fieldErrorsOf(error: unknown): FieldErrors {
  if (!(error instanceof ApiError)) return { fields: {}, form: errorText(error) };
  if (error.code === 'EXISTS') return { fields: { name: capitalize(error.message) } };
  if (error.code === 'INVALID_INPUT' && Array.isArray(error.details)) {
    const fields: Partial<Record<ProjectField, string>> = {};
    for (const issue of error.details as unknown[]) {
      if (typeof issue !== 'object' || issue === null) continue;
      const { path, message } = issue as { path?: unknown; message?: unknown };
      const field = Array.isArray(path) ? FIELDS.find((name) => name === path[0]) : undefined;
      if (field === undefined || typeof message !== 'string' || fields[field] !== undefined) continue;
      const index: unknown = Array.isArray(path) ? path[1] : undefined;
      fields[field] = capitalize(typeof index === 'number' ? `folder ${index + 1}: ${message}` : message);
    }
    if (Object.keys(fields).length > 0) return { fields };
  }
  return { fields: {}, form: capitalize(error.message) };
}

export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Folder lines as typed: one path per line, blanks and repeats dropped. */
export const foldersFromLines = (text: string): string[] => [
  ...new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
  ),
];

export const taskCountText = (project: ProjectView): string => {
  const tasks = `${project.taskCount} ${project.taskCount === 1 ? 'task' : 'tasks'}`;
  return project.activeTaskCount > 0 ? `${tasks}, ${project.activeTaskCount} under way` : tasks;
};
