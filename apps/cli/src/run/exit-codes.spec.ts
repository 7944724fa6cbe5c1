import { describe, expect, it } from 'vitest';
import { TASK_STATUSES } from '@steward/contracts';
import { exitCodeForStatus } from './exit-codes.js';

describe('exitCodeForStatus', () => {
  it('maps how a task ended to the documented exit codes', () => {
    expect(exitCodeForStatus('completed')).toBe(0);
    expect(exitCodeForStatus('failed')).toBe(1);
    expect(exitCodeForStatus('interrupted')).toBe(3);
    expect(exitCodeForStatus('cancelled')).toBe(130);
  });

  it('never reports success for a task that has not ended', () => {
    for (const status of TASK_STATUSES.filter(
      (s) => !['completed', 'cancelled', 'interrupted'].includes(s),
    )) {
      expect(exitCodeForStatus(status), status).toBe(1);
    }
  });
});
