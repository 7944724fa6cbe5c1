import type { TaskSummary } from '@steward/contracts';
import { api, isUnauthorized } from './api.js';
import { AdminPage } from './admin.js';
import { Home } from './home.js';
import { ProjectPage } from './project-page.js';
import { useProjects } from './project-api.js';
import { ProjectsPage } from './projects.js';
import { useRoute } from './router.js';
import { SettingsPage } from './settings.js';
import { Sidebar } from './sidebar.js';
import { TaskPage } from './task-page.js';
import { usePolling } from './use-polling.js';

const RECENT_TASKS = 30;
const TASKS_REFRESH_MS = 3_000;
const PROJECTS_REFRESH_MS = 15_000;

const loadTasks = (): Promise<readonly TaskSummary[]> =>
  api<{ tasks: TaskSummary[] }>(`/api/tasks?limit=${RECENT_TASKS}`).then((answer) => answer.tasks);

export function App() {
  const route = useRoute();
  const tasks = usePolling(loadTasks, TASKS_REFRESH_MS);
  const projects = useProjects(PROJECTS_REFRESH_MS);
  // Unknown until the first answer; only a 401 means signed out (a network error does not).
  const signedIn = isUnauthorized(tasks.error) ? false : tasks.value === undefined ? undefined : true;

  return (
    <div className="app">
      <Sidebar tasks={tasks.value ?? []} route={route} projects={projects.value ?? []} />
      {route.name === 'task' ? (
        <TaskPage key={route.taskId} taskId={route.taskId} onChanged={tasks.reload} />
      ) : route.name === 'settings' ? (
        <SettingsPage />
      ) : route.name === 'admin' ? (
        <AdminPage />
      ) : route.name === 'projects' ? (
        <ProjectsPage />
      ) : route.name === 'project' ? (
        <ProjectPage key={route.projectId} projectId={route.projectId} onChanged={tasks.reload} />
      ) : (
        <Home
          key={route.projectId ?? ''}
          signedIn={signedIn}
          firstRun={tasks.value?.length === 0}
          onStarted={tasks.reload}
          projectId={route.projectId}
        />
      )}
    </div>
  );
}
