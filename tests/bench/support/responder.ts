import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BusCredentials } from '@steward/messaging';
import {
  fromResponder,
  type FromResponder,
  type ResponderMode,
  type ToResponder,
} from './responder-protocol.js';
import { stopProcess } from './nats-server.js';

const REPLY_DEADLINE_MS = 30_000;
const EXIT_DEADLINE_MS = 5_000;
const entry = fileURLToPath(new URL('./bus-responder.js', import.meta.url));

export interface ResponderUsage {
  /** User + system CPU the responder has used since it started. */
  readonly cpuMicros: number;
  readonly rssBytes: number;
}

/** The parent's handle on one responder process, which serves one variant whenever it is told to. */
export class Responder {
  private readonly inbox: FromResponder[] = [];
  private waiting: (() => void) | undefined;
  private exitDescription: string | undefined;

  private constructor(
    readonly mode: ResponderMode,
    private readonly credentials: BusCredentials,
    private readonly telemetry: boolean,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (raw: unknown) => {
      const parsed = fromResponder.safeParse(raw);
      this.inbox.push(
        parsed.success
          ? parsed.data
          : { type: 'failed', message: `malformed message: ${JSON.stringify(raw)}` },
      );
      this.waiting?.();
    });
    // 'close' rather than 'exit': it comes after the IPC channel has delivered everything the child sent.
    child.on('close', (code, signal) => {
      this.exitDescription = `${mode} responder exited (${code ?? signal})`;
      this.waiting?.();
    });
    child.on('error', (error) => {
      this.exitDescription = `${mode} responder failed: ${error.message}`;
      this.waiting?.();
    });
  }

  static spawn(mode: ResponderMode, credentials: BusCredentials, options: { telemetry: boolean }): Responder {
    const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Responder(mode, credentials, options.telemetry, child);
  }

  /** Connects and subscribes; resolves once the responder says it is serving. */
  async listen(): Promise<void> {
    this.post({ type: 'listen', mode: this.mode, credentials: this.credentials, telemetry: this.telemetry });
    await this.expect('ready');
  }

  /** Unsubscribes and disconnects, so the other variant can own the subjects. */
  async unlisten(): Promise<void> {
    this.post({ type: 'unlisten' });
    await this.expect('idle');
  }

  async usage(): Promise<ResponderUsage> {
    this.post({ type: 'usage' });
    const { cpuMicros, rssBytes } = await this.expect('usage');
    return { cpuMicros, rssBytes };
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies ToResponder);
    await stopProcess(this.child, EXIT_DEADLINE_MS);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private post(message: ToResponder): void {
    if (!this.child.connected)
      throw new Error(this.exitDescription ?? `${this.mode} responder is not connected`);
    this.child.send(message);
  }

  private async expect<T extends FromResponder['type']>(
    type: T,
  ): Promise<Extract<FromResponder, { type: T }>> {
    const deadline = Date.now() + REPLY_DEADLINE_MS;
    for (;;) {
      const next = this.inbox.shift();
      if (next?.type === 'failed') throw new Error(`${this.mode} responder failed: ${next.message}`);
      if (next?.type === type) return next as Extract<FromResponder, { type: T }>;
      if (next) throw new Error(`${this.mode} responder sent ${next.type} while ${type} was expected`);
      if (this.exitDescription) throw new Error(`${this.exitDescription} while ${type} was expected`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.mode} responder did not report ${type} within ${REPLY_DEADLINE_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }
}
