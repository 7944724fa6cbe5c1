import type { TaskStatus } from '@steward/contracts';
import { EXIT } from '../cli/cli-error.js';

/**
 * `steward run`'s exit codes. 130 is what a shell reports for a Ctrl-C; 3 ("Steward stopped
 * under the task") matches the CLI's "not running", which is also what an unreachable stack gives.
 */
export const RUN_EXIT = {
  completed: EXIT.ok,
  failed: EXIT.failure,
  usage: EXIT.usage,
  interrupted: EXIT.notRunning,
  cancelled: 130,
} as const;
export type RunExitCode = (typeof RUN_EXIT)[keyof typeof RUN_EXIT];

/** The exit code for the status a task ended in; a task that has not ended is a failure to report. */
export function exitCodeForStatus(status: TaskStatus): RunExitCode {
  switch (status) {
    case 'completed':
      return RUN_EXIT.completed;
    case 'cancelled':
      return RUN_EXIT.cancelled;
    case 'interrupted':
      return RUN_EXIT.interrupted;
    case 'failed':
    case 'queued':
    case 'running':
    case 'waiting_approval':
      return RUN_EXIT.failed;
  }
}
