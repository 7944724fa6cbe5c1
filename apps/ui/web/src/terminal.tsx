import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import {
  appendOutput,
  emptyTerminal,
  noteMissed,
  type OutputStream,
  type Terminal,
} from './terminal-buffer.js';

/** How long a stream may stay open after the task says the call ended, for its last pieces. */
const END_GRACE_MS = 3_000;
/** Within this many pixels of the bottom, new output keeps the block scrolled to the bottom. */
const STICK_PX = 24;

type Phase = 'connecting' | 'live' | 'ended' | 'unavailable';

function parse(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a run_command call prints, as it prints it: a terminal-like block fed by the call's output
 * stream, the last lines kept, following the bottom unless the person scrolled up to read.
 */
export function CommandOutput(props: {
  readonly taskId: string;
  readonly callId: string;
  /** The call is still running, as the task's own stream says. */
  readonly running: boolean;
}) {
  const { taskId, callId, running } = props;
  const [terminal, setTerminal] = useState<Terminal>(emptyTerminal);
  const [phase, setPhase] = useState<Phase>('connecting');
  const source = useRef<EventSource | undefined>(undefined);
  const block = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const stream = new EventSource(
      `/api/tasks/${encodeURIComponent(taskId)}/calls/${encodeURIComponent(callId)}/output`,
    );
    source.current = stream;
    stream.onopen = () => setPhase('live');
    stream.onerror = () => {
      // CLOSED: refused (the call is not a command of this task, or the session ended).
      if (stream.readyState === EventSource.CLOSED)
        setPhase((now) => (now === 'ended' ? now : 'unavailable'));
    };
    stream.addEventListener('output', (message) => {
      const piece = parse(message.data);
      const kind = piece?.['stream'];
      const seq = piece?.['seq'];
      const text = piece?.['text'];
      if (typeof seq !== 'number' || typeof text !== 'string' || (kind !== 'stdout' && kind !== 'stderr'))
        return;
      const next = { seq, text, stream: kind as OutputStream };
      setTerminal((current) => appendOutput(current, next));
    });
    stream.addEventListener('dropped', (message) => {
      const chars = parse(message.data)?.['chars'];
      if (typeof chars === 'number') setTerminal((current) => noteMissed(current, chars));
    });
    stream.addEventListener('end', () => {
      stream.close();
      setPhase('ended');
    });
    return () => {
      stream.close();
      source.current = undefined;
    };
  }, [taskId, callId]);

  // The server ends the stream once the call ends; this covers an end it could not see.
  useEffect(() => {
    if (running) return;
    const timer = setTimeout(() => {
      source.current?.close();
      setPhase((now) => (now === 'unavailable' ? now : 'ended'));
    }, END_GRACE_MS);
    return () => clearTimeout(timer);
  }, [running]);

  useLayoutEffect(() => {
    const element = block.current;
    if (element !== null && stick.current) element.scrollTop = element.scrollHeight;
  }, [terminal]);

  const empty = terminal.lines.length === 0;
  if (empty && !running) return null;
  return (
    <div className="terminal">
      {(terminal.hiddenLines > 0 || terminal.missedChars > 0) && (
        <p className="terminal-note">
          {terminal.hiddenLines > 0 &&
            `${terminal.hiddenLines} earlier ${terminal.hiddenLines === 1 ? 'line' : 'lines'} not shown. `}
          {terminal.missedChars > 0 &&
            `${terminal.missedChars.toLocaleString('en-US')} characters of output were not kept.`}
        </p>
      )}
      <pre
        ref={block}
        className="terminal-lines"
        role="log"
        aria-live="off"
        aria-label="Command output"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_PX;
        }}
      >
        {empty ? (
          <span className="muted">
            {phase === 'unavailable' ? 'Live output is not available.' : 'Waiting for output…'}
          </span>
        ) : (
          terminal.lines.map((line) => (
            <span key={line.key} className={line.stream === 'stderr' ? 'stderr' : undefined}>
              {line.text}
              {'\n'}
            </span>
          ))
        )}
      </pre>
    </div>
  );
}
