import { useEffect, useState } from 'react';

/**
 * The page's addresses: the start page (`?project=` presets the composer's project), one task,
 * projects, one project, settings, admin. Anything else shows the start page.
 */
export type Route =
  | { readonly name: 'home'; readonly projectId?: string }
  | { readonly name: 'task'; readonly taskId: string }
  | { readonly name: 'settings' }
  | { readonly name: 'admin' }
  | { readonly name: 'projects' }
  | { readonly name: 'project'; readonly projectId: string };

const TASK_PATH = /^\/tasks\/([A-Za-z0-9_-]{1,64})$/;
const PROJECT_PATH = /^\/projects\/([A-Za-z0-9_-]{1,64})$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

function current(): Route {
  if (window.location.pathname === '/settings') return { name: 'settings' };
  if (window.location.pathname === '/admin') return { name: 'admin' };
  if (window.location.pathname === '/projects') return { name: 'projects' };
  const project = PROJECT_PATH.exec(window.location.pathname)?.[1];
  if (project !== undefined) return { name: 'project', projectId: project };
  const match = TASK_PATH.exec(window.location.pathname);
  if (match?.[1] !== undefined) return { name: 'task', taskId: match[1] };
  const preset = new URLSearchParams(window.location.search).get('project');
  return preset !== null && ID.test(preset) ? { name: 'home', projectId: preset } : { name: 'home' };
}

const NAVIGATED = 'steward:navigated';

export function navigate(path: string): void {
  // The query counts: `/?project=…` and `/` are different starts.
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATED));
}

export const taskPath = (taskId: string): string => `/tasks/${encodeURIComponent(taskId)}`;
export const projectPath = (projectId: string): string => `/projects/${encodeURIComponent(projectId)}`;
/** The start page with the composer preset to a project. */
export const newTaskInProject = (projectId: string): string => `/?project=${encodeURIComponent(projectId)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = (): void => setRoute(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}
