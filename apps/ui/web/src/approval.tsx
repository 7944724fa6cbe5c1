import { useEffect, useId, useState } from 'react';
import { api, errorText } from './api.js';
import { rememberScope } from './approval-scope.js';
import { commandOf, pathsOf } from './format.js';
import type { Approval, ToolCall } from './task-state.js';

const APPROVAL_VERB: Record<string, string> = {
  delete_path: 'delete',
  run_command: 'run a command',
  write_file: 'write a file',
  edit_file: 'edit a file',
  move_path: 'move',
  make_directory: 'make a folder',
};
const DECIDED: Record<Approval['status'], string> = {
  pending: 'Waiting for your answer',
  allowed: 'Allowed',
  denied: 'Denied',
  expired: 'Expired: nobody answered in time',
};

/** The current time, again every second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function remaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1_000));
  const hours = Math.floor(seconds / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/**
 * One approval, inline in the conversation: what the call would do (its command, its paths, for a
 * delete every file it would remove), how long is left to answer, and the answers. Everything
 * shown comes from the model or the files, so it is text.
 */
export function ApprovalCard(props: {
  readonly taskId: string;
  readonly approval: Approval;
  readonly call: ToolCall | undefined;
  /** Whether the task can still take an answer. */
  readonly open: boolean;
  readonly onAnswered: () => void;
}) {
  const { approval } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const hintId = useId();
  const pending = approval.status === 'pending' && props.open;
  const now = useNow(pending);
  const tool = approval.tool ?? props.call?.tool ?? 'tool';
  const input = approval.input ?? props.call?.input;
  const command = commandOf(input);
  const targets = approval.targets ?? [];
  const paths = targets.length > 0 ? [] : pathsOf(input);
  const scope = rememberScope(tool, input);
  const expiresAt = approval.expiresAt === undefined ? Number.NaN : Date.parse(approval.expiresAt);

  const answer = async (decision: 'allow' | 'deny', remember = false): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api(
        `/api/tasks/${encodeURIComponent(props.taskId)}/approvals/${encodeURIComponent(approval.id)}`,
        { method: 'POST', body: { decision, remember } },
      );
      props.onAnswered();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={`approval ${approval.status}`} aria-label={`Approval: ${tool}`}>
      <h3>Steward wants to {APPROVAL_VERB[tool] ?? `use ${tool}`}</h3>
      {approval.summary !== undefined && <p className="text">{approval.summary}</p>}
      {command !== undefined && (
        <pre className="command" aria-label="Command">
          <code>{command}</code>
        </pre>
      )}
      {paths.length > 0 && (
        <ul className="paths" aria-label="Paths">
          {paths.map((path) => (
            <li key={path}>
              <code>{path}</code>
            </li>
          ))}
        </ul>
      )}
      {targets.length > 0 && (
        <>
          <p>
            {targets.length === 1
              ? 'This moves 1 item to the trash:'
              : `This moves ${targets.length} items to the trash:`}
          </p>
          <ul className="paths targets" aria-label="Files to delete">
            {targets.map((target) => (
              <li key={target} title={target}>
                <code>{target}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {pending ? (
        <>
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => void answer('allow')}>
              Allow
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => void answer('deny')}>
              Deny
            </button>
            {scope !== undefined && (
              <button
                type="button"
                className="link"
                disabled={busy}
                aria-describedby={hintId}
                onClick={() => void answer('allow', true)}
              >
                Allow for the rest of this task
              </button>
            )}
          </div>
          <p className="approval-hint muted">
            {scope !== undefined && (
              <span id={hintId}>For the rest of this task: {scope} run without asking. </span>
            )}
            {Number.isFinite(expiresAt) && (
              <span className="countdown">
                {expiresAt > now
                  ? `Answer within ${remaining(expiresAt - now)}; after that it is denied.`
                  : 'Time is up: it is denied.'}
              </span>
            )}
          </p>
        </>
      ) : (
        <p className={`decided ${approval.status}`}>
          {approval.status === 'pending' ? 'Not answered' : DECIDED[approval.status]}
        </p>
      )}
      {error !== undefined && (
        <p className="down" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
