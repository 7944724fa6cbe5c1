import type { TaskSummary } from '@steward/contracts';
import { useCallback, type ReactNode } from 'react';
import { api } from './api.js';
import { FileChips } from './file-chips.js';
import { connectorsOf, firstLine, formatCost, formatTokens, skillsOf, STATUS_LABEL } from './format.js';
import { Link } from './link.js';
import { Markdown } from './markdown.js';
import { taskPath } from './router.js';
import { isFinal, progress, type TaskState } from './task-state.js';
import { usePolling } from './use-polling.js';

const TODO_MARK = { pending: '○', in_progress: '◐', completed: '●' } as const;
const CHILDREN_REFRESH_MS = 3_000;

/** A rail section the person can fold; its name is also its landmark's name. */
function RailSection(props: { readonly label: string; readonly children: ReactNode }) {
  return (
    <section aria-label={props.label} className="rail-section">
      <details open>
        <summary>
          <h2>{props.label}</h2>
        </summary>
        <div className="rail-body">{props.children}</div>
      </details>
    </section>
  );
}

function List(props: { readonly items: readonly string[]; readonly empty: string }) {
  if (props.items.length === 0) return <span className="muted">{props.empty}</span>;
  return <>{props.items.join(', ')}</>;
}

/** The task's sub-tasks as the task list has them (status, prompt), kept fresh while it runs. */
function SubTasks(props: { readonly state: TaskState }) {
  const { state } = props;
  const load = useCallback(
    () =>
      api<{ tasks: TaskSummary[] }>(`/api/tasks?parentId=${encodeURIComponent(state.id)}&limit=200`).then(
        (answer) => answer.tasks,
      ),
    [state.id],
  );
  const summaries = usePolling(load, isFinal(state.status) ? 60_000 : CHILDREN_REFRESH_MS);
  const byId = new Map((summaries.value ?? []).map((task) => [task.id, task]));
  return (
    <ul className="subtasks">
      {state.children.map((child) => {
        const summary = byId.get(child.id);
        const label = child.description ?? (summary === undefined ? child.id : firstLine(summary.prompt, 60));
        return (
          <li key={child.id}>
            <Link to={taskPath(child.id)}>{label}</Link>
            {summary !== undefined && (
              <span className={`dot ${summary.status}`}>{STATUS_LABEL[summary.status]}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * What the task is working with, beside the conversation: its plan and progress, sub-tasks,
 * folders, notes, and the model, approval mode, skills, connectors and usage so far.
 */
export function RightRail(props: { readonly state: TaskState }) {
  const { state } = props;
  const { done, total } = progress(state);
  const calls = Object.values(state.calls);
  const models = Object.entries(state.usage?.byModel ?? {});
  return (
    <aside className="rail" aria-label="About this task">
      <RailSection label="Progress">
        {total === 0 ? (
          <p className="muted">No plan yet. Longer tasks write one here and tick it off as they go.</p>
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
      </RailSection>
      {state.children.length > 0 && (
        <RailSection label="Sub-tasks">
          <SubTasks state={state} />
        </RailSection>
      )}
      <RailSection label="Folders">
        <ul className="paths">
          {state.folders.map((folder) => (
            <li key={folder} title={folder}>
              <code>{folder}</code>
            </li>
          ))}
        </ul>
      </RailSection>
      <RailSection label="Files">
        <FileChips taskId={state.id} files={state.filesChanged} />
      </RailSection>
      <RailSection label="Scratchpad">
        {state.scratchpad === '' ? (
          <p className="muted">Empty. Steward keeps notes here on long tasks.</p>
        ) : (
          <Markdown className="scratchpad" text={state.scratchpad} />
        )}
      </RailSection>
      <RailSection label="Context">
        <dl>
          <dt>Model</dt>
          <dd>{state.model || '—'}</dd>
          <dt>Approvals</dt>
          <dd>{state.approvalMode === 'auto' ? 'Auto' : 'Ask'}</dd>
          <dt>Skills</dt>
          <dd>
            <List items={skillsOf(calls)} empty="none" />
          </dd>
          <dt>Connectors</dt>
          <dd>
            <List items={connectorsOf(calls)} empty="none" />
          </dd>
          <dt>Tokens</dt>
          <dd>
            {state.usage === undefined
              ? '—'
              : `${formatTokens(state.usage.inputTokens)} in · ${formatTokens(state.usage.outputTokens)} out`}
          </dd>
          <dt>Cost</dt>
          <dd>{state.usage === undefined ? '—' : formatCost(state.usage.costUsd)}</dd>
        </dl>
        {models.length > 1 && (
          <ul className="by-model" aria-label="Usage by model">
            {models.map(([name, usage]) => (
              <li key={name}>
                <code>{name}</code> {formatTokens(usage.inputTokens)} in · {formatTokens(usage.outputTokens)}{' '}
                out · {formatCost(usage.costUsd)}
              </li>
            ))}
          </ul>
        )}
      </RailSection>
    </aside>
  );
}
