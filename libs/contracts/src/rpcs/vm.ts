import { z } from 'zod';
import { recordIdSchema, taskIdSchema } from '../ids.js';
import { defineRpc } from '../rpc.js';
import { findTool } from '../tools.js';
import { absolutePathSchema } from './workspace.js';

/*
 * vm-service: one sandbox per task, where the agent's code runs. Only the orchestrator calls it.
 * A task's sandbox is prepared when the task opens (`vm.sandbox.open`), so its first command does
 * not wait for a start; commands stream their output as `events.vm.exec.<execId>.output` while
 * they run and answer with the exit code and the output, capped with its head and tail kept.
 */

const VM_CALLERS = ['orchestrator'] as const;

export const SANDBOX_RUNTIMES = ['docker', 'bubblewrap'] as const;
export type SandboxRuntimeName = (typeof SANDBOX_RUNTIMES)[number];

export const vmSandboxOpen = defineRpc({
  subject: 'vm.sandbox.open',
  server: 'vm-service',
  callers: [...VM_CALLERS],
  request: z
    .object({
      taskId: taskIdSchema,
      /** The task's connected folders, as real paths: mounted read-write at the same paths. */
      folders: z.array(absolutePathSchema).min(1).max(32),
    })
    .strict(),
  response: z.object({
    taskId: z.string(),
    runtime: z.enum(SANDBOX_RUNTIMES),
    /** Whether the sandbox is already running (else it is starting in the background). */
    ready: z.boolean(),
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'DENIED_BY_POLICY', 'UNAVAILABLE', 'INTERNAL'],
  timeoutMs: 10_000,
  description: "Prepares a task's sandbox with its folders; starts it in the background.",
});

export const vmSandboxClose = defineRpc({
  subject: 'vm.sandbox.close',
  server: 'vm-service',
  callers: [...VM_CALLERS],
  request: z.object({ taskId: taskIdSchema }).strict(),
  response: z.object({ closed: z.boolean() }),
  errors: ['INVALID_INPUT', 'INTERNAL'],
  timeoutMs: 30_000,
  description: "Stops a task's running commands and removes its sandbox.",
});

export const execOutputSchema = z.object({
  /** What the model is shown: the head, a marker with what was left out, and the tail. */
  text: z.string(),
  /** Bytes the command wrote to this stream in all. */
  bytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
});

export const vmExecRun = defineRpc({
  subject: 'vm.exec.run',
  server: 'vm-service',
  callers: [...VM_CALLERS],
  request: findTool('run_command')
    .input.extend({
      taskId: taskIdSchema,
      /** Names this run for its output events and for cancelling it. */
      execId: recordIdSchema,
    })
    .strict(),
  response: z.object({
    execId: z.string(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    cancelled: z.boolean(),
    durationMs: z.number().nonnegative(),
    stdout: execOutputSchema,
    stderr: execOutputSchema,
    /** Things the person and the model should know: a limit was hit, /tmp was emptied, … */
    notes: z.array(z.string()),
    output: z.string().describe('What the model is shown as the tool result.'),
  }),
  errors: ['INVALID_INPUT', 'NOT_FOUND', 'DENIED_BY_POLICY', 'UNAVAILABLE', 'CANCELLED', 'INTERNAL'],
  // The command's own timeout (at most one hour) bounds it; the caller waits a little longer.
  timeoutMs: 3_660_000,
  description: 'Serves the run_command tool.',
});

export const vmExecCancel = defineRpc({
  subject: 'vm.exec.cancel',
  server: 'vm-service',
  callers: [...VM_CALLERS],
  request: z
    .object({
      taskId: taskIdSchema,
      /** One run; omit to cancel every run of the task. */
      execId: recordIdSchema.optional(),
    })
    .strict(),
  response: z.object({ cancelled: z.number().int().nonnegative() }),
  errors: ['INVALID_INPUT', 'INTERNAL'],
  timeoutMs: 10_000,
  description: 'Kills running commands of a task (the task was cancelled).',
});

/** `events.vm.exec.<execId>.output`: a piece of live output, in order by `seq`. */
export const vmExecOutputEventSchema = z.object({
  taskId: z.string(),
  execId: z.string(),
  seq: z.number().int().nonnegative(),
  stream: z.enum(['stdout', 'stderr']),
  /** UTF-8 text with terminal control sequences removed. */
  text: z.string(),
});

/**
 * The run id the orchestrator gives a run_command call's vm.exec.run, so the page can find the
 * call's live output on `events.vm.exec.<execId>.output`: the call's id with every character a
 * subject token cannot hold replaced by `_`, cut to 64.
 */
export function execIdOf(toolCallId: string): string {
  const cleaned = toolCallId.replace(/[^A-Za-z0-9_-]/g, '_');
  return cleaned.slice(0, 64) || 'exec';
}

export const VM_RPCS = [vmSandboxOpen, vmSandboxClose, vmExecRun, vmExecCancel] as const;
