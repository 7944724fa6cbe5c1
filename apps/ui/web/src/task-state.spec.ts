import { describe, expect, it } from 'vitest';
import type { TaskView } from '@steward/contracts';
import {
  conversation,
  initialTask,
  progress,
  reduceTask,
  type StreamEvent,
  type TaskState,
} from './task-state.js';
import { summarizeCalls } from './format.js';

let seq = 0;
const event = (kind: StreamEvent['kind'], data: Record<string, unknown>, at = new Date().toISOString()) => ({
  type: 'event' as const,
  event: { seq: ++seq, kind, at, data },
});

function replay(...actions: Parameters<typeof reduceTask>[1][]): TaskState {
  return actions.reduce(reduceTask, initialTask('t1'));
}

const view = (over: Partial<TaskView>): TaskView =>
  ({
    id: 't1',
    prompt: 'tidy',
    folders: ['/home/a/docs'],
    model: 'claude-sonnet-4-5',
    approvalMode: 'ask',
    status: 'running',
    todos: [],
    approvals: [],
    toolCalls: [],
    children: [],
    scratchpad: '',
    filesChanged: [],
    messages: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  }) as TaskView;

describe('the page’s task state', () => {
  it('builds the conversation from the stream, each message once and in order', () => {
    const state = replay(
      event('created', { prompt: 'tidy my docs', folders: ['/d'], model: 'm', approvalMode: 'auto' }),
      event('text', { delta: 'Look' }),
      event('text', { delta: 'ing…' }),
      event('message', { role: 'assistant', text: 'Looking…' }),
      event('tool', { id: 'c1', tool: 'read_file', status: 'running', input: { path: '/d/a' } }),
      event('tool', { id: 'c2', tool: 'read_file', status: 'done' }),
      event('tool', { id: 'c1', tool: 'read_file', status: 'done' }),
    );
    expect(state.approvalMode).toBe('auto');
    expect(state.partial).toBe('');
    expect(state.timeline.map((item) => item.kind)).toEqual(['user', 'assistant', 'tools']);
    const tools = state.timeline[2];
    expect(tools?.kind === 'tools' && tools.callIds).toEqual(['c1', 'c2']);
    // The later report wins, the earlier one's input is kept.
    expect(state.calls['c1']).toMatchObject({ status: 'done', input: { path: '/d/a' } });
    expect(summarizeCalls(Object.values(state.calls))).toBe('Read 2 files');
  });

  it('ignores an event it has seen (a replay overlapping a reconnect)', () => {
    const first = event('created', { prompt: 'p' });
    const again = { type: 'event' as const, event: { ...first.event } };
    const state = replay(first, again);
    expect(state.timeline).toHaveLength(1);
  });

  it('keeps an answer cut off by the task’s end', () => {
    const state = replay(
      event('created', { prompt: 'p' }),
      event('text', { delta: 'half an ans' }),
      event('status', { status: 'cancelled' }),
    );
    expect(state.status).toBe('cancelled');
    expect(state.timeline.at(-1)).toMatchObject({ kind: 'assistant', text: 'half an ans' });
  });

  it('counts progress from the todos and drops malformed ones', () => {
    const state = replay(
      event('todos', {
        todos: [
          { content: 'a', status: 'completed' },
          { content: 'b', status: 'in_progress' },
          { content: 'c', status: 'bogus' },
          '<script>',
        ],
      }),
    );
    expect(progress(state)).toEqual({ done: 1, total: 2 });
  });

  it('never lets an older snapshot move the state backwards', () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const state = replay(event('status', { status: 'completed', answer: 'done' }, later), {
      type: 'snapshot',
      view: view({ status: 'running', updatedAt: new Date().toISOString() }),
    });
    expect(state.status).toBe('completed');
    expect(state.answer).toBe('done');
  });

  it('takes a final snapshot even when its clock reads earlier than the events', () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const state = replay(event('status', { status: 'running' }, later), {
      type: 'snapshot',
      view: view({ status: 'failed', error: 'budget', updatedAt: new Date().toISOString() }),
    });
    expect(state.status).toBe('failed');
    expect(state.error).toBe('budget');
  });

  it('a decided approval is not reopened by a late pending report', () => {
    const state = replay(
      event('approval', { id: 'a1', status: 'allowed', tool: 'delete_path', targets: ['/d/x'] }),
      event('approval', { id: 'a1', status: 'pending' }),
    );
    expect(state.approvals['a1']).toMatchObject({ status: 'allowed', targets: ['/d/x'] });
    expect(state.timeline.filter((item) => item.kind === 'approval')).toHaveLength(1);
  });

  it('shows the snapshot’s messages when the stream has nothing', () => {
    const state = replay({
      type: 'snapshot',
      view: view({
        messages: [
          { role: 'user', text: 'p' },
          { role: 'assistant', text: 'a' },
        ] as TaskView['messages'],
        approvals: [{ id: 'a9', status: 'pending' }] as unknown as TaskView['approvals'],
      }),
    });
    expect(conversation(state).map((item) => item.kind)).toEqual(['user', 'assistant', 'approval']);
  });

  it('lists the sub-tasks it started, each once, with the label the model gave them', () => {
    const state = replay(
      event('created', { prompt: 'p' }),
      event('child', { childId: 'k1', description: 'Sum Q3' }),
      { type: 'snapshot', view: view({ children: ['k1', 'k2'], parentId: 'p0' }) },
      event('child', { childId: 'k2', description: 'Sum Q4' }),
      event('child', { description: 'no id' }),
    );
    expect(state.children).toEqual([
      { id: 'k1', description: 'Sum Q3' },
      { id: 'k2', description: 'Sum Q4' },
    ]);
    expect(state.parentId).toBe('p0');
    expect(state.timeline.filter((item) => item.kind === 'child')).toEqual([
      expect.objectContaining({ childId: 'k1', description: 'Sum Q3' }),
      expect.objectContaining({ childId: 'k2', description: 'Sum Q4' }),
    ]);
  });

  it('drops events of unknown status instead of breaking the page', () => {
    const before = replay(event('created', { prompt: 'p' }));
    const after = reduceTask(before, event('status', { status: 'exploded' }));
    expect(after.status).toBe(before.status);
    expect(after.lastSeq).toBeGreaterThan(before.lastSeq);
  });
});
