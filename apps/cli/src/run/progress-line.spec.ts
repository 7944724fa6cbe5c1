import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '@steward/contracts';
import { describeTool, formatElapsed, ProgressTracker, renderProgressLine } from './progress-line.js';

const event = (kind: TaskEvent['kind'], data: Record<string, unknown>): TaskEvent => ({
  taskId: 't_1',
  kind,
  at: '2026-01-01T00:00:00.000Z',
  data,
});

describe('renderProgressLine', () => {
  it('shows the plan progress, the current activity and the elapsed time', () => {
    const state = {
      status: 'running' as const,
      progress: { done: 2, total: 5 },
      activity: 'read_file /d/notes.md',
    };
    expect(renderProgressLine(state, { elapsedMs: 14_200 })).toBe(
      'Progress 2 of 5 · read_file /d/notes.md · 14 s',
    );
    expect(renderProgressLine(state)).toBe('Progress 2 of 5 · read_file /d/notes.md');
  });

  it('leaves out the progress when there is no plan', () => {
    expect(renderProgressLine({ status: 'running', progress: undefined, activity: 'Thinking' })).toBe(
      'Thinking',
    );
    expect(
      renderProgressLine({ status: 'running', progress: { done: 0, total: 0 }, activity: 'Thinking' }),
    ).toBe('Thinking');
  });

  it('fits one column short of the terminal, so rewriting it in place never wraps', () => {
    const state = {
      status: 'running' as const,
      progress: { done: 1, total: 3 },
      activity: `run_command ${'x'.repeat(200)}`,
    };
    const line = renderProgressLine(state, { elapsedMs: 3_000, columns: 40 });
    expect(Array.from(line)).toHaveLength(39);
    expect(line.endsWith('…')).toBe(true);
  });

  it('keeps a multi-line command or a control character from breaking the line', () => {
    const line = renderProgressLine({
      status: 'running',
      progress: undefined,
      activity: 'run_command a\nb\r\x1b[2Kc',
    });
    expect(line).toBe('run_command a bc');
  });

  it('formats elapsed time in seconds, minutes and hours', () => {
    expect(formatElapsed(59_999)).toBe('59 s');
    expect(formatElapsed(187_000)).toBe('3:07');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
  });
});

describe('describeTool', () => {
  it('names what a call works on', () => {
    expect(describeTool('read_file', { path: '/d/a' })).toBe('read_file /d/a');
    expect(describeTool('move_path', { from: '/d/a', to: '/d/b' })).toBe('move_path /d/a → /d/b');
    expect(describeTool('run_command', { command: 'ls' })).toBe('run_command ls');
    expect(describeTool('spawn_subagents', { tasks: [{}, {}] })).toBe('spawn_subagents (2 sub-agents)');
    expect(describeTool('glob', 'not an object')).toBe('glob');
  });
});

describe('ProgressTracker', () => {
  it('follows a task through its events: plan, tool calls, approvals, the end', () => {
    const tracker = new ProgressTracker();
    tracker.apply(event('status', { status: 'running' }));
    expect(tracker.state).toMatchObject({ status: 'running', activity: 'Thinking' });
    tracker.apply(event('todos', { todos: [], progress: { done: 1, total: 3 } }));
    tracker.apply(event('tool', { id: 'c1', tool: 'read_file', input: { path: '/d/a' }, status: 'pending' }));
    tracker.apply(event('tool', { id: 'c1', tool: 'read_file', status: 'running' }));
    expect(renderProgressLine(tracker.state)).toBe('Progress 1 of 3 · read_file /d/a');
    tracker.apply(event('tool', { id: 'c1', tool: 'read_file', status: 'done', isError: false }));
    expect(tracker.state.activity).toBe('Thinking');
    tracker.apply(event('approval', { id: 'ap_1', status: 'pending' }));
    expect(tracker.state.activity).toBe('Waiting for your approval');
    tracker.apply(event('text', { delta: 'Done' }));
    expect(tracker.state.activity).toBe('Writing');
    tracker.apply(event('status', { status: 'completed', answer: 'Done' }));
    expect(tracker.state).toMatchObject({ status: 'completed', activity: 'Completed' });
    expect(tracker.final).toBe(true);
  });

  it('shows what a sub-agent does while the parent waits for it, and ignores its status', () => {
    const tracker = new ProgressTracker();
    tracker.apply(event('status', { status: 'running' }));
    tracker.apply(
      event('tool', { id: 'p1', tool: 'spawn_subagents', input: { tasks: [{}] }, status: 'pending' }),
    );
    tracker.apply(event('tool', { id: 'p1', tool: 'spawn_subagents', status: 'running' }));
    tracker.apply(event('status', { status: 'completed' }), 'research');
    tracker.apply(
      event('tool', { id: 'c1', tool: 'grep', input: { pattern: 'x' }, status: 'pending' }),
      'research',
    );
    tracker.apply(event('tool', { id: 'c1', tool: 'grep', status: 'running' }), 'research');
    expect(tracker.state).toMatchObject({ status: 'running', activity: 'research: grep x' });
    tracker.apply(event('tool', { id: 'c1', tool: 'grep', status: 'done' }), 'research');
    expect(tracker.state.activity).toBe('spawn_subagents (1 sub-agent)');
  });

  it('ignores events whose data is not what it should be', () => {
    const tracker = new ProgressTracker();
    tracker.apply(event('status', { status: 'exploded' }));
    tracker.apply(event('todos', { progress: { done: -1, total: 'x' } }));
    tracker.apply(event('tool', { status: 'running' }));
    expect(tracker.state).toEqual({ status: 'queued', progress: undefined, activity: 'Queued' });
  });
});
