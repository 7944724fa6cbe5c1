import type { Readable, Writable } from 'node:stream';
import { StewardError } from '@steward/contracts';
import {
  agentFrameSchema,
  MAX_AGENT_LINE_BYTES,
  type AgentFrame,
  type ExitFrame,
  type HostFrame,
  type RunFrame,
} from './agent-protocol.js';

export interface RunCallbacks {
  /** Live output, in order, until the agent's live budget for the command is spent. */
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
}

interface PendingRun {
  readonly callbacks: RunCallbacks;
  resolve(frame: ExitFrame): void;
  reject(error: Error): void;
}

/**
 * vm-service's side of the conversation with one sandbox's agent: commands out, frames in. Any
 * frame that does not parse, or a line over the limit, ends the channel — the sandbox is then
 * removed and a fresh one serves the next command.
 */
export class AgentChannel {
  private readonly runs = new Map<string, PendingRun>();
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private failure: Error | undefined;
  private readyResolve!: () => void;
  private readyReject!: (error: Error) => void;
  /** Resolves when the agent said it is ready. */
  readonly ready: Promise<void>;
  private closedListeners: ((reason: Error) => void)[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
    private readonly describe: string,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => undefined);
    output.on('data', (chunk: Buffer) => this.receive(chunk));
    output.once('end', () => this.fail(new StewardError('UNAVAILABLE', `${describe}: the sandbox stopped`)));
    output.once('error', (error) =>
      this.fail(new StewardError('UNAVAILABLE', `${describe}: ${error.message}`)),
    );
    input.on('error', (error) => this.fail(new StewardError('UNAVAILABLE', `${describe}: ${error.message}`)));
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  onClosed(listener: (reason: Error) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.closedListeners.push(listener);
  }

  run(frame: Omit<RunFrame, 't'>, callbacks: RunCallbacks): Promise<ExitFrame> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.runs.has(frame.id)) {
      return Promise.reject(
        new StewardError('INVALID_INPUT', `a command with id ${frame.id} is already running`),
      );
    }
    return new Promise<ExitFrame>((resolve, reject) => {
      this.runs.set(frame.id, { callbacks, resolve, reject });
      this.send({ t: 'run', ...frame });
    });
  }

  kill(id: string): void {
    if (this.failure === undefined && this.runs.has(id)) this.send({ t: 'kill', id });
  }

  runningIds(): string[] {
    return [...this.runs.keys()];
  }

  /** Ends the channel: every pending run fails with `reason`. */
  fail(reason: Error): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.readyReject(reason);
    for (const run of this.runs.values()) run.reject(reason);
    this.runs.clear();
    for (const listener of this.closedListeners) listener(reason);
    this.closedListeners = [];
    this.input.end();
  }

  private send(frame: HostFrame): void {
    this.input.write(`${JSON.stringify(frame)}\n`);
  }

  private receive(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      const line = this.bufferedBytes === 0 ? piece : Buffer.concat([...this.buffered, piece]);
      this.buffered = [];
      this.bufferedBytes = 0;
      start = newline + 1;
      if (line.length > MAX_AGENT_LINE_BYTES) return this.protocolError('a frame over the size limit');
      this.handleLine(line);
      if (this.failure !== undefined) return;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    this.buffered.push(rest);
    this.bufferedBytes += rest.length;
    if (this.bufferedBytes > MAX_AGENT_LINE_BYTES) this.protocolError('a frame over the size limit');
  }

  private handleLine(line: Buffer): void {
    let frame: AgentFrame;
    try {
      const parsed = agentFrameSchema.safeParse(JSON.parse(line.toString('utf8')));
      if (!parsed.success) return this.protocolError('a frame that does not match the protocol');
      frame = parsed.data;
    } catch {
      return this.protocolError('a frame that is not JSON');
    }
    switch (frame.t) {
      case 'ready':
        this.readyResolve();
        return;
      case 'started':
      case 'pong':
        return;
      case 'out': {
        const run = this.runs.get(frame.id);
        run?.callbacks.onOutput(frame.s === 'o' ? 'stdout' : 'stderr', Buffer.from(frame.d, 'base64'));
        return;
      }
      case 'exit': {
        const run = this.runs.get(frame.id);
        this.runs.delete(frame.id);
        run?.resolve(frame);
        return;
      }
      case 'fail': {
        const run = this.runs.get(frame.id);
        if (run === undefined) return;
        this.runs.delete(frame.id);
        run.reject(new StewardError('INVALID_INPUT', frame.message));
        return;
      }
    }
  }

  private protocolError(what: string): void {
    this.fail(
      new StewardError('UNAVAILABLE', `${this.describe}: the sandbox sent ${what}; it will be replaced`),
    );
  }
}
