// Task events as the page receives them (the ui user's subscription to every task's events), and
// the audit that holds them against the task's record: what the orchestrator did and never told.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { taskEventSchema, type TaskEvent, type TaskView } from '@steward/contracts';
import { decodeBody } from '@steward/messaging';

export const TASK_EVENTS = 'events.orchestrator.task.>';
/** What the page must see of every tool call, in this order. */
/** A read is allowed outright: it goes straight to running (pending is only for calls that wait). */
const CALL_STEPS = ['running', 'done'] as const;

export interface TaskAudit {
  readonly taskId: string;
  readonly events: number;
  /** Each event a working loop sends for this task and that never arrived. */
  readonly lost: readonly string[];
  readonly duplicates: readonly string[];
  readonly outOfOrder: readonly string[];
}

/** Every task event on the bus from the moment it subscribed, by task. */
export class TaskEventRecorder {
  readonly #byTask = new Map<string, TaskEvent[]>();
  readonly #malformed: string[] = [];
  readonly #finalWaiters = new Map<string, Array<() => void>>();
  #subscription: Subscription | undefined;
  #received = 0;

  private constructor() {}

  /** Subscribes on `connection` (as the ui user) and waits until nats-server has the subscription. */
  static async start(connection: NatsConnection): Promise<TaskEventRecorder> {
    const recorder = new TaskEventRecorder();
    recorder.#subscription = connection.subscribe(TASK_EVENTS, {
      callback: (error, message) => {
        if (error) recorder.#malformed.push(`subscription failed: ${error.message}`);
        else recorder.#take(message.subject, message.data);
      },
    });
    await connection.flush();
    return recorder;
  }

  get received(): number {
    return this.#received;
  }

  /** Events that did not decode or did not fit the contract's schema. */
  get malformed(): readonly string[] {
    return this.#malformed;
  }

  eventsOf(taskId: string): readonly TaskEvent[] {
    return this.#byTask.get(taskId) ?? [];
  }

  /** Resolves once a status event with a final status has arrived for the task. */
  final(taskId: string): Promise<void> {
    if (this.#hasFinal(taskId)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#finalWaiters.get(taskId) ?? [];
      waiters.push(resolve);
      this.#finalWaiters.set(taskId, waiters);
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    await this.#subscription?.closed;
  }

  #take(subject: string, data: Uint8Array): void {
    this.#received += 1;
    let event: TaskEvent;
    try {
      const parsed = taskEventSchema.safeParse(decodeBody(data));
      if (!parsed.success) throw new Error(parsed.error.message);
      event = parsed.data;
    } catch (error) {
      this.#malformed.push(`${subject}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (subject !== `events.orchestrator.task.${event.taskId}.${event.kind}`) {
      this.#malformed.push(`${subject} carried a ${event.kind} event of task ${event.taskId}`);
    }
    const events = this.#byTask.get(event.taskId) ?? [];
    events.push(event);
    this.#byTask.set(event.taskId, events);
    if (isFinalStatus(event)) {
      for (const resolve of this.#finalWaiters.get(event.taskId) ?? []) resolve();
      this.#finalWaiters.delete(event.taskId);
    }
  }

  #hasFinal(taskId: string): boolean {
    return this.eventsOf(taskId).some(isFinalStatus);
  }
}

function isFinalStatus(event: TaskEvent): boolean {
  const status = event.data['status'];
  return (
    event.kind === 'status' &&
    (status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'interrupted')
  );
}

/**
 * Holds a finished task's events against its record (`orchestrator.task.get`) and the turns it
 * took: created once, running then its final status, every tool call running → done, one
 * assistant message (carrying the usage so far) per model turn.
 */
export function auditTask(view: TaskView, events: readonly TaskEvent[], turns: number): TaskAudit {
  const lost: string[] = [];
  const duplicates: string[] = [];
  const outOfOrder: string[] = [];
  const count = (kind: TaskEvent['kind'], match: (data: Record<string, unknown>) => boolean = () => true) =>
    events.filter((event) => event.kind === kind && match(event.data)).length;
  const expectCount = (what: string, seen: number, expected: number): void => {
    for (let i = seen; i < expected; i++) lost.push(what);
    if (seen > expected) duplicates.push(`${what} ×${seen}`);
  };

  expectCount('created', count('created'), 1);
  expectCount(
    'status running',
    count('status', (data) => data['status'] === 'running'),
    1,
  );
  expectCount(
    `status ${view.status}`,
    count('status', (data) => data['status'] === view.status),
    1,
  );
  expectCount(
    'assistant message',
    count('message', (data) => data['role'] === 'assistant'),
    turns,
  );
  expectCount(
    'usage with the assistant message',
    count('message', (data) => data['role'] === 'assistant' && data['usage'] !== undefined),
    turns,
  );

  const toolEvents = events.filter((event) => event.kind === 'tool');
  const known = new Set(view.toolCalls.map((call) => call.id));
  for (const call of view.toolCalls) {
    const steps = toolEvents
      .filter((event) => event.data['id'] === call.id)
      .map((event) => String(event.data['status']));
    for (const step of CALL_STEPS) {
      expectCount(`tool ${call.id} ${step}`, steps.filter((seen) => seen === step).length, 1);
    }
    const order = steps.filter((step) => (CALL_STEPS as readonly string[]).includes(step));
    const sorted = [...order].sort(
      (a, b) =>
        CALL_STEPS.indexOf(a as (typeof CALL_STEPS)[number]) -
        CALL_STEPS.indexOf(b as (typeof CALL_STEPS)[number]),
    );
    if (order.join() !== sorted.join()) outOfOrder.push(`tool ${call.id}: ${order.join(' → ')}`);
  }
  for (const event of toolEvents) {
    const id = String(event.data['id']);
    if (!known.has(id)) duplicates.push(`tool ${id} ${String(event.data['status'])} (no such call)`);
  }
  const statuses = events.filter((event) => event.kind === 'status').map((event) => event.data['status']);
  if (statuses.indexOf('running') > statuses.indexOf(view.status))
    outOfOrder.push(`status: ${statuses.join(' → ')}`);
  return { taskId: view.id, events: events.length, lost, duplicates, outOfOrder };
}
