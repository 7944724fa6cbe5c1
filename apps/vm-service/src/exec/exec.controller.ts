import { Controller, Inject, Logger } from '@nestjs/common';
import {
  eventSubject,
  vmExecCancel,
  vmExecRun,
  vmSandboxClose,
  vmSandboxOpen,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient, RpcHandler } from '@steward/messaging';
import { SandboxManager } from '../sandbox/sandbox-manager.js';
import { capturedText, cleanText } from './output-text.js';

type RunResponse = RpcResponse<typeof vmExecRun>;

/** The bus face of vm-service: a task's sandbox, and run_command inside it. */
@Controller()
export class ExecController {
  private readonly log = new Logger('exec');

  constructor(
    @Inject(SandboxManager) private readonly sandboxes: SandboxManager,
    @Inject(BusClient) private readonly bus: BusClient,
  ) {}

  @RpcHandler(vmSandboxOpen)
  async open(input: RpcRequest<typeof vmSandboxOpen>): Promise<RpcResponse<typeof vmSandboxOpen>> {
    return { taskId: input.taskId, ...(await this.sandboxes.open(input.taskId, input.folders)) };
  }

  @RpcHandler(vmSandboxClose)
  async close(input: RpcRequest<typeof vmSandboxClose>): Promise<RpcResponse<typeof vmSandboxClose>> {
    return { closed: await this.sandboxes.close(input.taskId) };
  }

  @RpcHandler(vmExecCancel)
  async cancel(input: RpcRequest<typeof vmExecCancel>): Promise<RpcResponse<typeof vmExecCancel>> {
    return { cancelled: await this.sandboxes.cancel(input.taskId, input.execId) };
  }

  @RpcHandler(vmExecRun)
  async run(input: RpcRequest<typeof vmExecRun>): Promise<RunResponse> {
    const subject = eventSubject('vm-service', 'exec', input.execId, 'output');
    let seq = 0;
    const started = Date.now();
    const outcome = await this.sandboxes.run({
      taskId: input.taskId,
      execId: input.execId,
      command: input.command,
      cwd: input.cwd,
      timeoutMs: input.timeout_ms,
      onOutput: (stream, data) => {
        try {
          this.bus.publish(subject, {
            taskId: input.taskId,
            execId: input.execId,
            seq: seq++,
            stream,
            text: cleanText(data),
          });
        } catch (error) {
          this.log.warn(`live output not published: ${String(error)}`);
        }
      },
    });
    const exit = outcome.exit;
    const empty = { text: '', bytes: 0, truncated: false };
    const stdout = exit === undefined ? empty : capturedText(exit.out);
    const stderr = exit === undefined ? empty : capturedText(exit.err);
    const result: Omit<RunResponse, 'output'> = {
      execId: input.execId,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? (exit === undefined ? 'SIGKILL' : null),
      timedOut: exit?.timedOut ?? false,
      cancelled: outcome.cancelled || (exit?.killed ?? false),
      durationMs: exit?.ms ?? Date.now() - started,
      stdout,
      stderr,
      notes: [...outcome.notes],
    };
    return { ...result, output: describeRun(result, outcome.timeoutMs) };
  }
}

/** The tool result the model reads. */
function describeRun(result: Omit<RunResponse, 'output'>, timeoutMs: number): string {
  const status = result.cancelled
    ? 'The command was cancelled.'
    : result.timedOut
      ? `The command was stopped after ${Math.round(timeoutMs / 1000)} s (its time limit).`
      : result.exitCode === null
        ? `The command was killed (${result.signal ?? 'unknown signal'}).`
        : `Exit code ${result.exitCode}.`;
  const parts = [status];
  for (const note of result.notes) parts.push(`Note: ${note}.`);
  if (result.stdout.bytes > 0) parts.push(`<stdout>\n${result.stdout.text}\n</stdout>`);
  if (result.stderr.bytes > 0) parts.push(`<stderr>\n${result.stderr.text}\n</stderr>`);
  if (result.stdout.bytes === 0 && result.stderr.bytes === 0) parts.push('(no output)');
  return parts.join('\n');
}
