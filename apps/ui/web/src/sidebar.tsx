import type { TaskSummary } from '@steward/contracts';
import { firstLine, STATUS_LABEL } from './format.js';
import { Link } from './link.js';
import { taskPath, type Route } from './router.js';

export function Sidebar(props: { readonly tasks: readonly TaskSummary[]; readonly route: Route }) {
  const waiting = props.tasks.filter((task) => task.status === 'waiting_approval');
  const currentId = props.route.name === 'task' ? props.route.taskId : undefined;
  return (
    <aside className="sidebar">
      <div className="brand">Steward</div>
      <Link to="/" className="new-task" current={props.route.name === 'home'}>
        New task
      </Link>
      {waiting[0] !== undefined && (
        <Link to={taskPath(waiting[0].id)} className="waiting">
          <span className="badge">{waiting.length}</span>
          {waiting.length === 1 ? ' approval waiting' : ' approvals waiting'}
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
                  <span className={`dot ${task.status}`}>{STATUS_LABEL[task.status]}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </nav>
    </aside>
  );
}
