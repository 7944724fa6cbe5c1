import { useEffect, useState } from 'react';
import { ApprovalCard } from './approval.js';
import { basename, callTarget, summarizeCalls } from './format.js';
import { Link } from './link.js';
import { Markdown } from './markdown.js';
import { taskPath } from './router.js';
import { conversation, isFinal, type TaskState, type ToolCall } from './task-state.js';
import { CommandOutput } from './terminal.js';

/*
 * Everything here is text from the model, files or tools. What the person typed and what tools
 * print is rendered as text nodes; the model's answers go through the markdown renderer, which
 * builds elements itself (no HTML strings), so markup in any of it stays inert.
 */

export function Conversation(props: { readonly state: TaskState; readonly onAnswered: () => void }) {
  const { state } = props;
  const items = conversation(state);
  const final = isFinal(state.status);
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
                <Markdown className="text" text={item.text} />
              </li>
            );
          case 'notice':
            return (
              <li key={item.key} className="notice-line">
                {item.text}
              </li>
            );
          case 'child':
            return (
              <li key={item.key} className="notice-line">
                Started a sub-task: <Link to={taskPath(item.childId)}>{item.description}</Link>
              </li>
            );
          case 'tools':
            return (
              <li key={item.key}>
                <ToolGroup
                  taskId={state.id}
                  final={final}
                  calls={item.callIds.map((id) => state.calls[id]).filter((c) => c !== undefined)}
                />
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
                  open={!final}
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
          <Markdown className="text" text={state.partial} />
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

/** Calls that ran (or may have): only their commands printed anything. */
const RAN = new Set<ToolCall['status']>(['running', 'done', 'unknown']);

/**
 * Consecutive tool calls as one line ("Read 3 files, ran 1 command"), opened on demand. A group
 * opens by itself when one of its commands starts, so its output shows as it is printed, and
 * stays open after; the person's own choice wins either way.
 */
function ToolGroup(props: {
  readonly taskId: string;
  readonly calls: readonly ToolCall[];
  readonly final: boolean;
}) {
  const running = props.calls.some((call) => call.status === 'running' && !props.final);
  const waiting =
    !props.final &&
    props.calls.some((call) => call.status === 'pending' || call.status === 'waiting_approval');
  const commandRunning = props.calls.some(
    (call) => call.tool === 'run_command' && call.status === 'running' && !props.final,
  );
  const failed = props.calls.filter((call) => call.isError === true).length;
  const [chosen, setChosen] = useState<boolean>();
  useEffect(() => {
    if (commandRunning) setChosen((now) => now ?? true);
  }, [commandRunning]);
  const open = chosen ?? commandRunning;
  return (
    <details
      className="tools"
      open={open}
      onToggle={(event) => {
        const now = event.currentTarget.open;
        if (now !== open) setChosen(now);
      }}
    >
      <summary>
        <span className={running ? 'spinner' : waiting ? 'waiting-mark' : 'tick'} aria-hidden="true" />
        {summarizeCalls(props.calls)}
        {failed > 0 && <span className="down"> · {failed} failed</span>}
      </summary>
      <ul>
        {props.calls.map((call) => (
          <li key={call.id} className={call.isError === true ? 'call error' : 'call'}>
            <span className="tool-name">{call.tool}</span> <code>{callTarget(call)}</code>{' '}
            <span className="muted">
              {call.status === 'running' && props.final ? 'stopped' : CALL_STATE[call.status ?? 'pending']}
            </span>
            {open && call.tool === 'run_command' && RAN.has(call.status ?? 'pending') && (
              <CommandOutput
                taskId={props.taskId}
                callId={call.id}
                running={call.status === 'running' && !props.final}
              />
            )}
            {call.resultSummary !== undefined && call.resultSummary !== '' && (
              <div className="result">{call.resultSummary}</div>
            )}
          </li>
        ))}
      </ul>
    </details>
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
