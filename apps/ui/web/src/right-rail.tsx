import { formatCost, formatTokens } from './format.js';
import { progress, type TaskState } from './task-state.js';

const TODO_MARK = { pending: '○', in_progress: '◐', completed: '●' } as const;

export function RightRail(props: { readonly state: TaskState }) {
  const { state } = props;
  const { done, total } = progress(state);
  return (
    <aside className="rail">
      <section aria-label="Progress" className="rail-section">
        <h2>Progress</h2>
        {total === 0 ? (
          <p className="muted">No plan yet</p>
        ) : (
          <>
            <p className="progress-count">
              {done} of {total}
            </p>
            <progress max={total} value={done} aria-hidden="true" />
            <ul className="todos">
              {state.todos.map((todo, index) => (
                <li key={index} className={todo.status}>
                  <span aria-hidden="true">{TODO_MARK[todo.status]}</span> {todo.content}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section aria-label="Folders" className="rail-section">
        <h2>Folders</h2>
        <ul className="paths">
          {state.folders.map((folder) => (
            <li key={folder}>
              <code>{folder}</code>
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Scratchpad" className="rail-section">
        <h2>Scratchpad</h2>
        {state.scratchpad === '' ? (
          <p className="muted">Empty</p>
        ) : (
          <pre className="scratchpad">{state.scratchpad}</pre>
        )}
      </section>
      <section aria-label="Context" className="rail-section">
        <h2>Context</h2>
        <dl>
          <dt>Model</dt>
          <dd>{state.model || '—'}</dd>
          <dt>Approvals</dt>
          <dd>{state.approvalMode === 'auto' ? 'Auto' : 'Ask'}</dd>
          <dt>Tokens</dt>
          <dd>
            {state.usage === undefined
              ? '—'
              : `${formatTokens(state.usage.inputTokens)} in · ${formatTokens(state.usage.outputTokens)} out`}
          </dd>
          <dt>Cost</dt>
          <dd>{state.usage === undefined ? '—' : formatCost(state.usage.costUsd)}</dd>
        </dl>
      </section>
    </aside>
  );
}
