import type { ProjectView, TaskSummary } from '@steward/contracts';
import { firstLine, STATUS_LABEL } from './format.js';
import { Link } from './link.js';
import { taskPath, type Route } from './router.js';
import { ThemeToggle } from './theme-toggle.js';

/** Approvals waiting in a task and its sub-tasks; a list without counts still knows the status. */
const pendingOf = (task: TaskSummary): number =>
  task.pendingApprovals ?? (task.status === 'waiting_approval' ? 1 : 0);

export function Sidebar(props: {
  readonly tasks: readonly TaskSummary[];
  readonly route: Route;
  /** For the project label on tasks in one. */
  readonly projects?: readonly ProjectView[];
}) {
  const projectNames = new Map((props.projects ?? []).map((project) => [project.id, project.name]));
  const waiting = props.tasks.filter((task) => pendingOf(task) > 0);
  const waitingCount = waiting.reduce((sum, task) => sum + pendingOf(task), 0);
  const currentId = props.route.name === 'task' ? props.route.taskId : undefined;
  return (
    <aside className="sidebar">
      <div className="brand">Steward</div>
      <Link to="/" className="new-task" current={props.route.name === 'home'}>
        New task
      </Link>
      {waiting[0] !== undefined && (
        <Link to={taskPath(waiting[0].id)} className="waiting">
          <span className="badge">{waitingCount}</span>
          {waitingCount === 1 ? ' approval waiting' : ' approvals waiting'}
        </Link>
      )}
      <nav aria-label="Recent tasks" className="recent">
        <h2>Recent</h2>
        {props.tasks.length === 0 ? (
          <p className="muted">Tasks you start show up here.</p>
        ) : (
          <ul>
            {props.tasks.map((task) => (
              <li key={task.id}>
                <Link to={taskPath(task.id)} current={task.id === currentId}>
                  <span className="recent-title">{firstLine(task.prompt, 60)}</span>
                  {task.projectId !== undefined && projectNames.has(task.projectId) && (
                    <span className="recent-project">
                      <span className="sr-only">Project: </span>
                      {projectNames.get(task.projectId)}
                    </span>
                  )}
                  <span className={`dot ${task.status}`}>{STATUS_LABEL[task.status]}</span>
                  {pendingOf(task) > 0 && (
                    <span className="badge entry-badge" title="Approvals to answer">
                      {pendingOf(task)}
                      <span className="sr-only">
                        {pendingOf(task) === 1 ? ' approval to answer' : ' approvals to answer'}
                      </span>
                    </span>
                  )}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </nav>
      <nav aria-label="Steward" className="sidebar-links">
        <Link to="/projects" current={props.route.name === 'projects' || props.route.name === 'project'}>
          Projects
        </Link>
        <Link to="/settings" current={props.route.name === 'settings'}>
          Settings
        </Link>
        <Link to="/admin" current={props.route.name === 'admin'}>
          Admin
        </Link>
      </nav>
      <ThemeToggle />
    </aside>
  );
}
