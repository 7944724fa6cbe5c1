import {
  orchestratorTaskApprove,
  orchestratorTaskCreate,
  orchestratorTaskGet,
  type TaskCreateInput,
  type TaskStatus,
  type TaskView,
} from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import type { ModelRequest, Scripted } from '@steward/testing';

/** Polls `check` until it answers something other than undefined, or fails with the last state. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The task as the page sees it, once its status is one of `statuses`. */
export function taskIn(
  page: BusClient,
  taskId: string,
  statuses: readonly TaskStatus[],
  timeoutMs = 30_000,
): Promise<TaskView> {
  let last: TaskView | undefined;
  return eventually(
    async () => {
      last = await page.request(orchestratorTaskGet, { taskId });
      return statuses.includes(last.status) ? last : undefined;
    },
    `task ${taskId} to be ${statuses.join(' or ')}`,
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last seen: ${JSON.stringify(last)?.slice(0, 2_000)}`);
  });
}

/** Answers the task's pending approval (waiting for one to appear). */
export async function answerApproval(
  page: BusClient,
  taskId: string,
  decision: 'allow' | 'deny',
  remember = false,
): Promise<TaskView['approvals'][number]> {
  const task = await taskIn(page, taskId, ['waiting_approval']);
  const pending = task.approvals.find((approval) => approval.status === 'pending');
  if (pending === undefined) throw new Error(`task ${taskId} waits with no pending approval`);
  await page.request(orchestratorTaskApprove, { taskId, approvalId: pending.id, decision, remember });
  return pending;
}

export function createTask(page: BusClient, input: TaskCreateInput): Promise<{ id: string }> {
  return page.request(orchestratorTaskCreate, input);
}

/**
 * Model replies per task, told apart by a marker in the task's prompt: the n-th request of a task
 * gets the n-th step (a step may look at the request, e.g. at the tool results it carries).
 */
export class ModelScript {
  private readonly scripts = new Map<string, { steps: Array<Step>; served: number }>();

  add(marker: string, steps: Array<Step>): void {
    this.scripts.set(marker, { steps, served: 0 });
  }

  /** For ModelServer.respondWith. */
  readonly handler = (request: ModelRequest): Scripted | Promise<Scripted> => {
    // The task's first message (OpenAI-style requests put the system prompt first).
    const messages = (request.body as { messages?: Array<{ role?: string }> }).messages ?? [];
    const first = JSON.stringify(messages.find((message) => message.role !== 'system') ?? '');
    for (const [marker, script] of this.scripts) {
      if (!first.includes(marker)) continue;
      const step = script.steps[script.served];
      script.served += 1;
      if (step === undefined) throw new Error(`the script for "${marker}" has no step ${script.served}`);
      return typeof step === 'function' ? step(request) : step;
    }
    throw new Error(`no script matches the request starting ${first.slice(0, 200)}`);
  };

  served(marker: string): number {
    return this.scripts.get(marker)?.served ?? 0;
  }
}

export type Step = Scripted | ((request: ModelRequest) => Scripted | Promise<Scripted>);
