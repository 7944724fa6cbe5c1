import {
  FINAL_TASK_STATUSES,
  TASK_STATUSES,
  type TaskEvent,
  type TaskStatus,
  type TaskView,
} from '@steward/contracts';
import { fitWidth, oneLine } from './terminal-text.js';

export interface TaskProgress {
  readonly done: number;
  readonly total: number;
}

/** What the live line shows: the plan's progress and what is happening right now. */
export interface ProgressState {
  readonly status: TaskStatus;
  readonly progress: TaskProgress | undefined;
  readonly activity: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function isStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

function asProgress(value: unknown): TaskProgress | undefined {
  if (!isRecord(value)) return undefined;
  const { done, total } = value;
  if (typeof done !== 'number' || typeof total !== 'number') return undefined;
  if (!Number.isInteger(done) || !Number.isInteger(total) || done < 0 || total < 0) return undefined;
  return { done, total };
}

/** A tool call in a few words: its name and what it works on. */
export function describeTool(tool: string, input: unknown): string {
  if (!isRecord(input)) return tool;
  const from = asString(input['from']);
  const to = asString(input['to']);
  if (from !== undefined && to !== undefined) return `${tool} ${from} → ${to}`;
  const target = ['path', 'command', 'pattern', 'name'].map((field) => asString(input[field])).find(Boolean);
  if (target !== undefined) return `${tool} ${target}`;
  const tasks = input['tasks'];
  if (Array.isArray(tasks)) return `${tool} (${tasks.length} sub-agent${tasks.length === 1 ? '' : 's'})`;
  return tool;
}

/** What the line says before the task exists. */
export const STARTING = 'Starting the task';

const STATUS_ACTIVITY: Readonly<Record<TaskStatus, string>> = {
  queued: 'Queued',
  running: 'Thinking',
  waiting_approval: 'Waiting for your approval',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

const GENERAL_ACTIVITIES: ReadonlySet<string> = new Set([
  ...Object.values(STATUS_ACTIVITY),
  'Writing',
  STARTING,
]);

/**
 * Whether the activity only restates the task's state ("Thinking", "Writing", …) rather than
 * naming work (a tool call): a plain log gets a line for work, not for every pause between.
 */
export function isGeneralActivity(activity: string): boolean {
  const own = activity.includes(': ') ? activity.slice(activity.indexOf(': ') + 2) : activity;
  return GENERAL_ACTIVITIES.has(own);
}

/** Elapsed time the way a person reads it: `42 s`, `3:07`, `1:02:03`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const s = String(seconds % 60).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${s}`;
}

/**
 * `Progress 2 of 5 · read_file /notes.md · 14 s`. With `columns` the line is cut to fit (one
 * column short, so the terminal never wraps it and `\r` keeps rewriting the same line).
 */
export function renderProgressLine(
  state: ProgressState,
  options: { readonly elapsedMs?: number; readonly columns?: number } = {},
): string {
  const parts: string[] = [];
  if (state.progress !== undefined && state.progress.total > 0)
    parts.push(`Progress ${state.progress.done} of ${state.progress.total}`);
  parts.push(oneLine(state.activity));
  if (options.elapsedMs !== undefined) parts.push(formatElapsed(options.elapsedMs));
  const line = parts.filter((part) => part !== '').join(' · ');
  return options.columns === undefined ? line : fitWidth(line, Math.max(1, options.columns - 1));
}

/**
 * Folds a task's events (and those of its sub-agents) into the live line's state. Tool events
 * name their input only when they are first announced, so inputs are kept by call id.
 */
export class ProgressTracker {
  private current: ProgressState = {
    status: 'queued',
    progress: undefined,
    activity: STATUS_ACTIVITY.queued,
  };
  private readonly inputs = new Map<string, unknown>();
  private readonly running = new Map<string, string>();

  get state(): ProgressState {
    return this.current;
  }

  /** Applies one event of the task (`agent` unset) or of a sub-agent (its description). */
  apply(event: TaskEvent, agent?: string): void {
    const data = event.data;
    const prefix = agent === undefined ? '' : `${agent}: `;
    switch (event.kind) {
      case 'status': {
        if (agent !== undefined || !isStatus(data['status'])) return;
        const status = data['status'];
        if (status !== 'running' || this.running.size === 0)
          this.set({ status, activity: STATUS_ACTIVITY[status] });
        else this.set({ status });
        return;
      }
      case 'text':
        if (agent === undefined && asString(data['delta'])) this.set({ activity: 'Writing' });
        return;
      case 'todos': {
        const progress = asProgress(data['progress']);
        if (agent === undefined && progress !== undefined) this.set({ progress });
        return;
      }
      case 'approval':
        if (data['status'] === 'pending') this.set({ activity: `${prefix}Waiting for your approval` });
        return;
      case 'tool':
        this.tool(data, prefix);
        return;
      default:
        return;
    }
  }

  /** Replaces what events built with a polled view of the task. */
  applySnapshot(view: TaskView): void {
    const running = view.toolCalls.filter((call) => call.status === 'running').at(-1);
    const activity =
      view.status === 'running' && running !== undefined
        ? describeTool(running.tool, running.input)
        : STATUS_ACTIVITY[view.status];
    this.set({
      status: view.status,
      progress: view.progress.total > 0 ? view.progress : undefined,
      activity,
    });
  }

  get final(): boolean {
    return FINAL_TASK_STATUSES.includes(this.current.status);
  }

  private tool(data: Record<string, unknown>, prefix: string): void {
    const id = asString(data['id']);
    const tool = asString(data['tool']);
    if (id === undefined || tool === undefined) return;
    const key = `${prefix}${id}`;
    if ('input' in data) this.inputs.set(key, data['input']);
    const status = data['status'];
    if (status === 'running') {
      const described = `${prefix}${describeTool(tool, this.inputs.get(key))}`;
      this.running.set(key, described);
      this.set({ activity: described });
    } else if (status === 'done' || status === 'denied' || status === 'unknown') {
      this.running.delete(key);
      this.inputs.delete(key);
      const still = [...this.running.values()].at(-1);
      this.set({ activity: still ?? STATUS_ACTIVITY.running });
    }
  }

  private set(change: Partial<ProgressState>): void {
    this.current = { ...this.current, ...change };
  }
}
