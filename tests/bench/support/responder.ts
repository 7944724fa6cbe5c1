import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BusCredentials } from '@steward/messaging';
import { fromResponder, type FromResponder, type ResponderMode, type ToResponder } from './responder-protocol.js';
import { stopProcess } from './nats-server.js';

const READY_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;
const entry = fileURLToPath(new URL('./bus-responder.js', import.meta.url));

/** The parent's handle on one responder process. */
export class Responder {
  private readonly inbox: FromResponder[] = [];
  private waiting: (() => void) | undefined;
  private exitDescription: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw: unknown) => {
      const parsed = fromResponder.safeParse(raw);
      this.inbox.push(
        parsed.success ? parsed.data : { type: 'failed', message: `malformed message: ${JSON.stringify(raw)}` },
      );
      this.waiting?.();
    });
    // 'close' rather than 'exit': it comes after the IPC channel has delivered everything the child sent.
    child.on('close', (code, signal) => {
      this.exitDescription = `responder exited (${code ?? signal})`;
      this.waiting?.();
    });
    child.on('error', (error) => {
      this.exitDescription = `responder failed: ${error.message}`;
      this.waiting?.();
    });
  }

  static async start(mode: ResponderMode, credentials: BusCredentials): Promise<Responder> {
    const responder = new Responder(fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    try {
      responder.post({ type: 'start', mode, credentials });
      await responder.expect('ready', READY_DEADLINE_MS);
      return responder;
    } catch (error) {
      responder.kill();
      throw error;
    }
  }

  /** Closes the responder's bus side cleanly and returns its resident memory just before it exits. */
  async stop(): Promise<{ rssBytes: number }> {
    this.post({ type: 'stop' });
    const stopped = await this.expect('stopped', STOP_DEADLINE_MS);
    await stopProcess(this.child, STOP_DEADLINE_MS);
    return { rssBytes: stopped.rssBytes };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private post(message: ToResponder): void {
    if (!this.child.connected) throw new Error(this.exitDescription ?? 'responder is not connected');
    this.child.send(message);
  }

  private async expect<T extends FromResponder['type']>(
    type: T,
    deadlineMs: number,
  ): Promise<Extract<FromResponder, { type: T }>> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const next = this.inbox.shift();
      if (next?.type === 'failed') throw new Error(`responder failed: ${next.message}`);
      if (next?.type === type) return next as Extract<FromResponder, { type: T }>;
      if (next) throw new Error(`responder sent ${next.type} while ${type} was expected`);
      if (this.exitDescription) throw new Error(`${this.exitDescription} while ${type} was expected`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`responder did not report ${type} within ${deadlineMs} ms`);
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
