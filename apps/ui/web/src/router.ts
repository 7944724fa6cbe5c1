import { useEffect, useState } from 'react';

/** The page's addresses: the start page and one task. Anything else shows the start page. */
export type Route = { readonly name: 'home' } | { readonly name: 'task'; readonly taskId: string };

const TASK_PATH = /^\/tasks\/([A-Za-z0-9_-]{1,64})$/;

function current(): Route {
  const match = TASK_PATH.exec(window.location.pathname);
  return match?.[1] === undefined ? { name: 'home' } : { name: 'task', taskId: match[1] };
}

const NAVIGATED = 'steward:navigated';

export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATED));
}

export const taskPath = (taskId: string): string => `/tasks/${encodeURIComponent(taskId)}`;

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
