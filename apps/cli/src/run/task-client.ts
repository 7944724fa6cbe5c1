import {
  errorEnvelopeSchema,
  orchestratorTaskApprove,
  orchestratorTaskCancel,
  orchestratorTaskCreate,
  orchestratorTaskGet,
  taskViewSchema,
  type TaskCreateInput,
  type TaskStatus,
  type TaskView,
} from '@steward/contracts';
import { CliError, EXIT } from '../cli/cli-error.js';

/** The ui does not answer at all: nothing listens on its port. */
export class StackUnreachableError extends CliError {
  override readonly name = 'StackUnreachableError';

  constructor(message: string) {
    super(message, EXIT.notRunning);
  }
}

/** The ui answered with an error envelope (or with something that is not one). */
export class ApiError extends CliError {
  override readonly name = 'ApiError';

  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** Whether anything answers HTTP on the ui's port (`/api/health` needs no token). */
export async function uiAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`, {
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** What `steward run` asks of the ui (ARCHITECTURE §5); a fake stands in for it in unit specs. */
export interface TaskApi {
  create(input: TaskCreateInput): Promise<{ id: string; status: TaskStatus }>;
  get(taskId: string): Promise<TaskView>;
  approve(taskId: string, approvalId: string, decision: 'allow' | 'deny', remember: boolean): Promise<void>;
  cancel(taskId: string): Promise<TaskStatus>;
  /** Opens the task's event stream after `lastEventId`; resolves once the ui answered 200. */
  events(
    taskId: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>>;
}

export interface TaskClientOptions {
  readonly port: number;
  readonly token: string;
  /** Where the person is told to look when the stack does not answer. */
  readonly home: string;
  /** How long the event stream's headers may take (the stream itself has no deadline). */
  readonly connectTimeoutMs?: number;
}

/** A route waits for its bus RPC; the HTTP request gets that RPC's timeout and a margin. */
const MARGIN_MS = 5_000;
const TIMEOUTS = {
  get: orchestratorTaskGet.timeoutMs + MARGIN_MS,
  create: orchestratorTaskCreate.timeoutMs + MARGIN_MS,
  approve: orchestratorTaskApprove.timeoutMs + MARGIN_MS,
  cancel: orchestratorTaskCancel.timeoutMs + MARGIN_MS,
} as const;
const CONNECT_TIMEOUT_MS = 15_000;

function timeoutError(): Error {
  return new DOMException('the request timed out', 'TimeoutError');
}

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/**
 * The ui's task routes over HTTP on 127.0.0.1 with the token. No Origin is sent (this is not a
 * page), and the Host is the loopback address with our port, which the ui accepts.
 */
export class TaskClient implements TaskApi {
  private readonly base: string;

  constructor(private readonly options: TaskClientOptions) {
    this.base = `http://127.0.0.1:${options.port}`;
  }

  get address(): string {
    return `${this.base}/`;
  }

  async create(input: TaskCreateInput): Promise<{ id: string; status: TaskStatus }> {
    const body = await this.json('POST', '/api/tasks', input, TIMEOUTS.create, [201, 200]);
    return this.parse(orchestratorTaskCreate.response, body, 'POST /api/tasks');
  }

  async get(taskId: string): Promise<TaskView> {
    const body = await this.json('GET', `/api/tasks/${encodeURIComponent(taskId)}`, undefined, TIMEOUTS.get);
    return this.parse(taskViewSchema, body, 'GET /api/tasks/:id');
  }

  async approve(
    taskId: string,
    approvalId: string,
    decision: 'allow' | 'deny',
    remember: boolean,
  ): Promise<void> {
    await this.json(
      'POST',
      `/api/tasks/${encodeURIComponent(taskId)}/approvals/${encodeURIComponent(approvalId)}`,
      { decision, remember },
      TIMEOUTS.approve,
    );
  }

  async cancel(taskId: string): Promise<TaskStatus> {
    const body = await this.json(
      'POST',
      `/api/tasks/${encodeURIComponent(taskId)}/cancel`,
      {},
      TIMEOUTS.cancel,
    );
    return this.parse(orchestratorTaskCancel.response, body, 'POST /api/tasks/:id/cancel').status;
  }

  async events(
    taskId: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>> {
    // One controller for the request and its body: the caller's abort ends both, while the
    // deadline only bounds the wait for the headers and is cleared once they arrive.
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal.reason);
    if (signal.aborted) forward();
    signal.addEventListener('abort', forward, { once: true });
    const deadline = setTimeout(
      () => controller.abort(timeoutError()),
      this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    );
    let response: Response;
    try {
      response = await this.send(`/api/tasks/${encodeURIComponent(taskId)}/events`, {
        method: 'GET',
        headers: {
          ...this.headers(),
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        signal: controller.signal,
      });
    } finally {
      clearTimeout(deadline);
    }
    if (response.status !== 200 || response.body === null) {
      signal.removeEventListener('abort', forward);
      throw await this.failure(response);
    }
    const body = response.body;
    return (async function* () {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of body) {
          const text = decoder.decode(chunk, { stream: true });
          if (text !== '') yield text;
        }
        const rest = decoder.decode();
        if (rest !== '') yield rest;
      } finally {
        signal.removeEventListener('abort', forward);
        controller.abort();
      }
    })();
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}` };
  }

  private async json(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
    ok: readonly number[] = [200],
  ): Promise<unknown> {
    const response = await this.send(path, {
      method,
      headers: {
        ...this.headers(),
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!ok.includes(response.status)) throw await this.failure(response);
    try {
      return (await response.json()) as unknown;
    } catch {
      throw new ApiError(
        'INVALID_RESPONSE',
        `Steward answered ${method} ${path} with something that is not JSON`,
        response.status,
      );
    }
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, init);
    } catch (error) {
      const reason: unknown = init.signal?.aborted === true ? init.signal.reason : undefined;
      if (reason instanceof Error && reason.name === 'TimeoutError') {
        throw new ApiError('TIMEOUT', `Steward did not answer ${init.method ?? 'GET'} ${path} in time`, 0);
      }
      // Aborted by the caller: not a failure of Steward's.
      if (init.signal?.aborted === true) throw error;
      const code = causeCode(error);
      if (code === 'ECONNREFUSED') {
        throw new StackUnreachableError(
          `Steward is not running at ${this.address} (STEWARD_HOME ${this.options.home}); start it with "./steward up", then try again`,
        );
      }
      throw new ApiError(
        'UNAVAILABLE',
        `could not reach Steward at ${this.address}: ${causeCode(error) ?? String(error)}`,
        0,
      );
    }
  }

  private parse<T>(
    schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
    body: unknown,
    route: string,
  ): T {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new ApiError(
      'INVALID_RESPONSE',
      `Steward answered ${route} with something this command does not understand; is the CLI from the same checkout as the running stack?`,
      200,
    );
  }

  private async failure(response: Response): Promise<ApiError> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const envelope = errorEnvelopeSchema.safeParse(body);
    if (response.status === 401) {
      return new ApiError(
        'UNAUTHORIZED',
        `the Steward UI at ${this.address} did not accept the token in ${this.options.home}/run/ui-token; do STEWARD_HOME and STEWARD_PORT point at the same running stack?`,
        401,
      );
    }
    if (envelope.success) {
      const { code, message } = envelope.data.error;
      return new ApiError(code, `${code}: ${message}`, response.status);
    }
    return new ApiError('INVALID_RESPONSE', `Steward answered HTTP ${response.status}`, response.status);
  }
}
