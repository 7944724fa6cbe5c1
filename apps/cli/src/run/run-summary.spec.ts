import { describe, expect, it } from 'vitest';
import type { TaskView } from '@steward/contracts';
import { formatCost, summaryLines } from './run-summary.js';

function taskView(overrides: Partial<TaskView> = {}): TaskView {
  return {
    id: 't_abc',
    status: 'completed',
    prompt: 'p',
    folders: ['/d'],
    model: 'claude-sonnet-4-6',
    approvalMode: 'ask',
    progress: { done: 0, total: 0 },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    children: [],
    todos: [],
    approvals: [],
    toolCalls: [],
    messages: [],
    scratchpad: '',
    filesChanged: [],
    usage: {
      inputTokens: 1234,
      outputTokens: 56,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.0123,
      byModel: {},
    },
    ...overrides,
  };
}

describe('summaryLines', () => {
  it('tells a completed task: time, files changed, tokens and cost', () => {
    expect(summaryLines(taskView({ filesChanged: ['/d/a.md', '/d/b.csv'] }), 42_000)).toEqual([
      'Completed in 42 s.',
      'Files changed (2):',
      '  /d/a.md',
      '  /d/b.csv',
      'Tokens: 1,234 in, 56 out · cost $0.0123',
      'Task t_abc',
    ]);
  });

  it('gives the reason for a task that failed, was cancelled or interrupted', () => {
    expect(summaryLines(taskView({ status: 'failed', error: 'INVALID_INPUT: bad' }), 61_000)[0]).toBe(
      'Failed after 1:01: INVALID_INPUT: bad',
    );
    expect(summaryLines(taskView({ status: 'cancelled', error: 'cancelled by the person' }), 0)[0]).toBe(
      'Cancelled after 0 s: cancelled by the person',
    );
    expect(summaryLines(taskView({ status: 'interrupted' }), 0)[0]).toBe(
      'Interrupted after 0 s: no reason was given',
    );
    expect(summaryLines(taskView(), 0)).toContain('No files changed.');
  });

  it('counts cached tokens apart and prints cents for larger costs', () => {
    const view = taskView({
      usage: {
        inputTokens: 10,
        outputTokens: 2,
        cacheReadTokens: 5000,
        cacheWriteTokens: 0,
        costUsd: 1.5,
        byModel: {},
      },
    });
    expect(summaryLines(view, 0)).toContain('Tokens: 10 in (+5,000 cached), 2 out · cost $1.50');
    expect(formatCost(0)).toBe('$0.00');
  });
});
