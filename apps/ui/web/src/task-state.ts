import type {
  ApprovalMode,
  ApprovalView,
  TaskEventKind,
  TaskStatus,
  TaskUsage,
  TaskView,
  ToolCallView,
} from '@steward/contracts';

/*
 * One task as the page shows it. The conversation is built from the task's event stream, which
 * replays from the start on every load and resumes exactly after the last event on a reconnect,
 * so it has each message once and in order. Snapshots (GET /api/tasks/:id) fill in the state
 * (status, todos, tool calls, approvals, …) and never move it backwards, whichever arrives first.
 */

// A Record over every kind: a kind the contracts add fails the type check until the page handles it.
const KINDS: Record<TaskEventKind, true> = {
  created: true,
  status: true,
  text: true,
  message: true,
  tool: true,
  approval: true,
  todos: true,
  scratchpad: true,
  usage: true,
  files: true,
  child: true,
  notice: true,
};
export const EVENT_KINDS = Object.keys(KINDS) as TaskEventKind[];

export type ToolCall = Partial<Omit<ToolCallView, 'id' | 'tool'>> & {
  readonly id: string;
  readonly tool: string;
};
export type Approval = Partial<Omit<ApprovalView, 'id' | 'status'>> & {
  readonly id: string;
  readonly status: ApprovalView['status'];
};
export type Todo = TaskView['todos'][number];

export type TimelineItem =
  | { readonly kind: 'user'; readonly key: string; readonly text: string; readonly queued: boolean }
  | { readonly kind: 'assistant'; readonly key: string; readonly text: string }
  | { readonly kind: 'tools'; readonly key: string; readonly callIds: readonly string[] }
  | { readonly kind: 'approval'; readonly key: string; readonly approvalId: string }
  | { readonly kind: 'child'; readonly key: string; readonly childId: string; readonly description: string }
  | { readonly kind: 'notice'; readonly key: string; readonly text: string };

/** A sub-task this task started; the description is the label the model gave it, when known. */
export interface ChildRef {
  readonly id: string;
  readonly description: string | undefined;
}

export interface TaskState {
  readonly id: string;
  /** Set once the task is known, from its `created` event or a snapshot. */
  readonly prompt: string | undefined;
  readonly folders: readonly string[];
  readonly model: string;
  readonly approvalMode: ApprovalMode;
  readonly status: TaskStatus | undefined;
  readonly answer: string | undefined;
  readonly error: string | undefined;
  readonly todos: readonly Todo[];
  readonly scratchpad: string;
  readonly filesChanged: readonly string[];
  readonly usage: TaskUsage | undefined;
  /** The task that started this one, for a sub-task. */
  readonly parentId: string | undefined;
  readonly children: readonly ChildRef[];
  readonly calls: Readonly<Record<string, ToolCall>>;
  readonly approvals: Readonly<Record<string, Approval>>;
  /** The conversation from the event stream; empty until the stream delivers `created`. */
  readonly timeline: readonly TimelineItem[];
  /** Calls (`c:<id>`) and approvals (`a:<id>`) the timeline shows already; a snapshot may know them first. */
  readonly placed: Readonly<Record<string, true>>;
  /** The answer being written, before its `message` event. */
  readonly partial: string;
  readonly lastSeq: number;
  readonly lastEventAt: number;
  /** The last snapshot, for its messages when the stream has none (events not stored). */
  readonly snapshot: TaskView | undefined;
}

export function initialTask(id: string): TaskState {
  return {
    id,
    prompt: undefined,
    folders: [],
    model: '',
    approvalMode: 'ask',
    status: undefined,
    answer: undefined,
    error: undefined,
    todos: [],
    scratchpad: '',
    filesChanged: [],
    usage: undefined,
    parentId: undefined,
    children: [],
    calls: {},
    approvals: {},
    timeline: [],
    placed: {},
    partial: '',
    lastSeq: 0,
    lastEventAt: 0,
    snapshot: undefined,
  };
}

export const FINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];
export const isFinal = (status: TaskStatus | undefined): boolean =>
  status !== undefined && FINAL_STATUSES.includes(status);

const CALL_STAGE: Record<ToolCallView['status'], number> = {
  pending: 0,
  waiting_approval: 1,
  running: 2,
  done: 3,
  denied: 3,
  unknown: 3,
};

/** A later stage of a call wins; what the earlier report knew (its input) is kept. */
function mergeCall(prev: ToolCall | undefined, next: ToolCall): ToolCall {
  if (prev === undefined) return next;
  const older = CALL_STAGE[next.status ?? 'pending'] < CALL_STAGE[prev.status ?? 'pending'];
  return older ? { ...next, ...prev } : { ...prev, ...next };
}

function mergeApproval(prev: Approval | undefined, next: Approval): Approval {
  if (prev === undefined) return next;
  return prev.status !== 'pending' && next.status === 'pending' ? { ...next, ...prev } : { ...prev, ...next };
}

/** Children in the order they were started, each once; a description, once known, is kept. */
function mergeChildren(known: readonly ChildRef[], more: readonly ChildRef[]): readonly ChildRef[] {
  const merged = [...known];
  for (const child of more) {
    const at = merged.findIndex((existing) => existing.id === child.id);
    if (at < 0) merged.push(child);
    else if (child.description !== undefined) merged[at] = child;
  }
  return merged;
}

function progressOf(todos: readonly Todo[]): { done: number; total: number } {
  return { done: todos.filter((todo) => todo.status === 'completed').length, total: todos.length };
}
export const progress = (state: TaskState): { done: number; total: number } => progressOf(state.todos);

/** What the stream delivers: the TaskEvent body and its stream sequence (`id:`). */
export interface StreamEvent {
  readonly seq: number;
  readonly kind: TaskEventKind;
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export type TaskAction =
  | { readonly type: 'event'; readonly event: StreamEvent }
  | { readonly type: 'snapshot'; readonly view: TaskView };

export function reduceTask(state: TaskState, action: TaskAction): TaskState {
  return action.type === 'snapshot' ? applySnapshot(state, action.view) : applyEvent(state, action.event);
}

function applySnapshot(state: TaskState, view: TaskView): TaskState {
  const calls = { ...state.calls };
  for (const call of view.toolCalls) calls[call.id] = mergeCall(calls[call.id], call);
  const approvals = { ...state.approvals };
  for (const approval of view.approvals)
    approvals[approval.id] = mergeApproval(approvals[approval.id], approval);
  // Fields the task record stamps with updatedAt: the snapshot wins only when it is newer.
  const newer = Date.parse(view.updatedAt) >= state.lastEventAt;
  const final = isFinal(view.status) && !isFinal(state.status);
  return {
    ...state,
    prompt: view.prompt,
    folders: view.folders,
    model: view.model,
    approvalMode: view.approvalMode,
    parentId: view.parentId,
    children: mergeChildren(
      view.children.map((id) => ({ id, description: undefined })),
      state.children,
    ),
    calls,
    approvals,
    snapshot: view,
    ...(newer || final
      ? {
          status: view.status,
          answer: view.answer,
          error: view.error,
          todos: view.todos,
          scratchpad: view.scratchpad,
          filesChanged: view.filesChanged,
          usage: view.usage,
        }
      : {}),
  };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;

function isTodo(value: unknown): value is Todo {
  if (typeof value !== 'object' || value === null) return false;
  const { content, status } = value as Record<string, unknown>;
  return (
    typeof content === 'string' &&
    (status === 'pending' || status === 'in_progress' || status === 'completed')
  );
}

function isUsage(value: unknown): value is TaskUsage {
  if (typeof value !== 'object' || value === null) return false;
  const { inputTokens, outputTokens, costUsd } = value as Record<string, unknown>;
  return typeof inputTokens === 'number' && typeof outputTokens === 'number' && typeof costUsd === 'number';
}

const CALL_STATUSES = new Set<string>(Object.keys(CALL_STAGE));
const APPROVAL_STATUSES = new Set<string>(['pending', 'allowed', 'denied', 'expired']);
const TASK_STATUSES = new Set<string>(['queued', 'running', 'waiting_approval', ...FINAL_STATUSES]);

/** Copies the fields a partial report carries, leaving out those it does not. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function push(state: TaskState, item: TimelineItem): readonly TimelineItem[] {
  return [...state.timeline, item];
}

/** An answer cut off by the task's end stays in the conversation as it was written. */
function settlePartial(state: TaskState, key: string): readonly TimelineItem[] {
  return state.partial === '' ? state.timeline : push(state, { kind: 'assistant', key, text: state.partial });
}

function applyEvent(state: TaskState, event: StreamEvent): TaskState {
  if (event.seq <= state.lastSeq) return state;
  const next = {
    ...state,
    lastSeq: event.seq,
    lastEventAt: Math.max(state.lastEventAt, Date.parse(event.at) || 0),
  };
  const { data } = event;
  const key = `e${event.seq}`;
  switch (event.kind) {
    case 'created': {
      const mode = data['approvalMode'];
      return {
        ...next,
        prompt: str(data['prompt']) ?? state.prompt,
        folders: strings(data['folders']) ?? state.folders,
        model: str(data['model']) ?? state.model,
        approvalMode: mode === 'auto' || mode === 'ask' ? mode : state.approvalMode,
        status: state.status ?? 'queued',
        timeline: push(state, { kind: 'user', key, text: str(data['prompt']) ?? '', queued: false }),
      };
    }
    case 'status': {
      const status = str(data['status']);
      if (status === undefined || !TASK_STATUSES.has(status)) return next;
      const final = isFinal(status as TaskStatus);
      return {
        ...next,
        status: status as TaskStatus,
        answer: str(data['answer']) ?? state.answer,
        error: str(data['error']) ?? (final ? state.error : undefined),
        ...(final ? { timeline: settlePartial(state, key), partial: '' } : {}),
      };
    }
    case 'text':
      if (data['restart'] === true) return { ...next, partial: '' };
      return { ...next, partial: state.partial + (str(data['delta']) ?? '') };
    case 'message': {
      const text = str(data['text']) ?? '';
      if (data['role'] === 'user') {
        return {
          ...next,
          timeline: push(state, { kind: 'user', key, text, queued: data['pending'] === true }),
        };
      }
      return {
        ...next,
        partial: '',
        usage: isUsage(data['usage']) ? data['usage'] : state.usage,
        timeline: text.trim() === '' ? state.timeline : push(state, { kind: 'assistant', key, text }),
      };
    }
    case 'tool': {
      const id = str(data['id']);
      const status = str(data['status']);
      if (id === undefined || status === undefined || !CALL_STATUSES.has(status)) return next;
      const report: ToolCall = {
        id,
        tool: str(data['tool']) ?? state.calls[id]?.tool ?? 'tool',
        status: status as ToolCallView['status'],
        ...defined({
          input: data['input'],
          isError: typeof data['isError'] === 'boolean' ? data['isError'] : undefined,
          resultSummary: str(data['resultSummary']),
          decision: str(data['decision']) as ToolCallView['decision'],
          decisionSource: str(data['decisionSource']) as ToolCallView['decisionSource'],
        }),
      };
      const calls = { ...state.calls, [id]: mergeCall(state.calls[id], report) };
      if (state.placed[`c:${id}`]) return { ...next, calls };
      const last = state.timeline.at(-1);
      const timeline =
        last?.kind === 'tools'
          ? [...state.timeline.slice(0, -1), { ...last, callIds: [...last.callIds, id] }]
          : push(state, { kind: 'tools', key, callIds: [id] });
      return { ...next, calls, timeline, placed: { ...state.placed, [`c:${id}`]: true } };
    }
    case 'approval': {
      const id = str(data['id']);
      const status = str(data['status']);
      if (id === undefined || status === undefined || !APPROVAL_STATUSES.has(status)) return next;
      const report: Approval = {
        id,
        status: status as ApprovalView['status'],
        ...defined({
          toolCallId: str(data['toolCallId']),
          tool: str(data['tool']),
          input: data['input'],
          summary: str(data['summary']),
          targets: strings(data['targets']),
          expiresAt: str(data['expiresAt']),
          decidedBy: str(data['decidedBy']) as ApprovalView['decidedBy'],
        }),
      };
      const approvals = { ...state.approvals, [id]: mergeApproval(state.approvals[id], report) };
      if (state.placed[`a:${id}`]) return { ...next, approvals };
      return {
        ...next,
        approvals,
        timeline: push(state, { kind: 'approval', key, approvalId: id }),
        placed: { ...state.placed, [`a:${id}`]: true },
      };
    }
    case 'todos': {
      const todos = data['todos'];
      return Array.isArray(todos) ? { ...next, todos: todos.filter(isTodo) } : next;
    }
    case 'scratchpad':
      return { ...next, scratchpad: str(data['content']) ?? state.scratchpad };
    case 'usage':
      return isUsage(data['usage'])
        ? { ...next, usage: data['usage'] }
        : isUsage(data)
          ? { ...next, usage: data }
          : next;
    case 'files':
      return { ...next, filesChanged: strings(data['filesChanged']) ?? state.filesChanged };
    case 'child': {
      const childId = str(data['childId']);
      const description = str(data['description']) || undefined;
      if (childId === undefined) return next;
      return {
        ...next,
        children: mergeChildren(state.children, [{ id: childId, description }]),
        timeline: push(state, { kind: 'child', key, childId, description: description ?? 'a sub-task' }),
      };
    }
    case 'notice':
      return { ...next, timeline: push(state, { kind: 'notice', key, text: str(data['text']) ?? '' }) };
  }
}

/**
 * The conversation to show: the stream's, or when the stream has not delivered the task's start
 * (still loading, or its events were not stored) the last snapshot's messages and calls.
 */
export function conversation(state: TaskState): readonly TimelineItem[] {
  if (state.timeline.length > 0 || state.snapshot === undefined) return state.timeline;
  const items: TimelineItem[] = state.snapshot.messages.map((message, index) =>
    message.role === 'user'
      ? { kind: 'user', key: `s${index}`, text: message.text, queued: false }
      : { kind: 'assistant', key: `s${index}`, text: message.text },
  );
  const callIds = state.snapshot.toolCalls.map((call) => call.id);
  if (callIds.length > 0) items.push({ kind: 'tools', key: 'scalls', callIds });
  for (const approval of state.snapshot.approvals) {
    if (approval.status === 'pending')
      items.push({ kind: 'approval', key: `sa${approval.id}`, approvalId: approval.id });
  }
  for (const child of state.children) {
    items.push({
      kind: 'child',
      key: `sc${child.id}`,
      childId: child.id,
      description: child.description ?? 'a sub-task',
    });
  }
  return items;
}
