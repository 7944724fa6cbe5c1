import { useState } from 'react';
import { api, errorText } from './api.js';
import { basename, callTarget, commandOf, pathsOf, summarizeCalls } from './format.js';
import { conversation, isFinal, type Approval, type TaskState, type ToolCall } from './task-state.js';

/*
 * Everything here is text from the model, files or tools: React renders it as text nodes, so
 * markup in a file name or an answer stays inert, and nothing here ever becomes a link or image.
 */

export function Conversation(props: { readonly state: TaskState; readonly onAnswered: () => void }) {
  const { state } = props;
  const items = conversation(state);
  return (
    <ol className="conversation" aria-label="Conversation">
      {items.map((item) => {
        switch (item.kind) {
          case 'user':
            return (
              <li key={item.key} className="bubble user">
                <div className="who">{item.queued ? 'You (while it worked)' : 'You'}</div>
                <div className="text">{item.text}</div>
              </li>
            );
          case 'assistant':
            return (
              <li key={item.key} className="bubble assistant">
                <div className="who">Steward</div>
                <div className="text">{item.text}</div>
              </li>
            );
          case 'notice':
            return (
              <li key={item.key} className="notice-line">
                {item.text}
              </li>
            );
          case 'tools':
            return (
              <li key={item.key}>
                <ToolGroup calls={item.callIds.map((id) => state.calls[id]).filter((c) => c !== undefined)} />
              </li>
            );
          case 'approval': {
            const approval = state.approvals[item.approvalId];
            return approval === undefined ? null : (
              <li key={item.key}>
                <ApprovalCard
                  taskId={state.id}
                  approval={approval}
                  call={approval.toolCallId === undefined ? undefined : state.calls[approval.toolCallId]}
                  open={!isFinal(state.status)}
                  onAnswered={props.onAnswered}
                />
              </li>
            );
          }
        }
      })}
      {state.partial !== '' && (
        <li className="bubble assistant streaming" aria-busy="true">
          <div className="who">Steward</div>
          <div className="text">{state.partial}</div>
        </li>
      )}
    </ol>
  );
}

const CALL_STATE: Record<NonNullable<ToolCall['status']>, string> = {
  pending: 'waiting',
  waiting_approval: 'waiting for you',
  running: 'running',
  done: 'done',
  denied: 'not run',
  unknown: 'unknown',
};

function ToolGroup(props: { readonly calls: readonly ToolCall[] }) {
  const running = props.calls.some((call) => call.status === 'running');
  const waiting = props.calls.some((call) => call.status === 'pending' || call.status === 'waiting_approval');
  const failed = props.calls.filter((call) => call.isError === true).length;
  return (
    <details className="tools">
      <summary>
        <span className={running ? 'spinner' : waiting ? 'waiting-mark' : 'tick'} aria-hidden="true" />
        {summarizeCalls(props.calls)}
        {failed > 0 && <span className="down"> · {failed} failed</span>}
      </summary>
      <ul>
        {props.calls.map((call) => (
          <li key={call.id} className={call.isError === true ? 'call error' : 'call'}>
            <span className="tool-name">{call.tool}</span> <code>{callTarget(call)}</code>{' '}
            <span className="muted">{CALL_STATE[call.status ?? 'pending']}</span>
            {call.resultSummary !== undefined && call.resultSummary !== '' && (
              <div className="result">{call.resultSummary}</div>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}

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

function ApprovalCard(props: {
  readonly taskId: string;
  readonly approval: Approval;
  readonly call: ToolCall | undefined;
  readonly open: boolean;
  readonly onAnswered: () => void;
}) {
  const { approval } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const tool = approval.tool ?? props.call?.tool ?? 'tool';
  const input = approval.input ?? props.call?.input;
  const command = commandOf(input);
  const targets = approval.targets ?? [];
  const paths = targets.length > 0 ? [] : pathsOf(input);

  const answer = async (decision: 'allow' | 'deny', remember = false): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api(
        `/api/tasks/${encodeURIComponent(props.taskId)}/approvals/${encodeURIComponent(approval.id)}`,
        {
          method: 'POST',
          body: { decision, remember },
        },
      );
      props.onAnswered();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const pending = approval.status === 'pending' && props.open;
  return (
    <section className={`approval ${approval.status}`} aria-label={`Approval: ${tool}`}>
      <h3>Steward wants to {APPROVAL_VERB[tool] ?? `use ${tool}`}</h3>
      {approval.summary !== undefined && <p className="text">{approval.summary}</p>}
      {command !== undefined && (
        <pre className="command">
          <code>{command}</code>
        </pre>
      )}
      {paths.length > 0 && (
        <ul className="paths">
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
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void answer('allow')}>
            Allow
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => void answer('deny')}>
            Deny
          </button>
          <button type="button" className="link" disabled={busy} onClick={() => void answer('allow', true)}>
            Allow for the rest of this task
          </button>
        </div>
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

export function ChangedFiles(props: { readonly files: readonly string[] }) {
  if (props.files.length === 0) return null;
  return (
    <ul className="chips" aria-label="Files changed">
      {props.files.map((file) => (
        <li key={file} className="chip" title={file}>
          {basename(file)}
        </li>
      ))}
    </ul>
  );
}
