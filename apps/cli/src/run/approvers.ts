import {
  APPROVAL_QUESTION,
  formatApprovalRequest,
  parseApprovalAnswer,
  type ApprovalAnswer,
  type ApprovalRequest,
} from './approval-prompt.js';
import type { LineReader } from './line-reader.js';
import type { RunOutput } from './run-output.js';

const END_OF_INPUT = 'Answering no: stdin has ended, nobody is left to answer.';

/** Who answers the task's approvals. */
export interface Approver {
  /**
   * The answer to one approval, or undefined when the question was withdrawn (answered in the
   * page, expired, the task ended) — `signal` aborts with the reason, which is shown.
   */
  decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer | undefined>;
  close(): void;
}

/** `--approve deny`, or nobody at a terminal to ask: every approval is denied, and said so. */
export class DenyingApprover implements Approver {
  constructor(
    private readonly output: RunOutput,
    private readonly reason: string,
  ) {}

  decide(request: ApprovalRequest): Promise<ApprovalAnswer> {
    for (const line of formatApprovalRequest(request)) this.output.say(line);
    this.output.say(`Answering no: ${this.reason}.`);
    return Promise.resolve('deny');
  }

  close(): void {}
}

/**
 * Asks on the terminal and reads the answer from stdin, a line at a time. On a terminal, lines
 * typed before the question appeared are dropped; from a pipe, answers are taken in order and
 * echoed after the question. Once the input ends, everything left is denied.
 */
export class PromptingApprover implements Approver {
  constructor(
    private readonly output: RunOutput,
    private readonly reader: LineReader,
    private readonly interactive: boolean,
  ) {}

  async decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer | undefined> {
    if (signal.aborted) return undefined;
    if (this.reader.exhausted) return this.endOfInput(request);
    if (this.interactive) this.reader.discardBuffered();
    let lines = formatApprovalRequest(request);
    for (;;) {
      this.output.prompt(lines, APPROVAL_QUESTION);
      const line = await this.reader.read(signal);
      if (signal.aborted) {
        this.output.abandonPrompt(
          typeof signal.reason === 'string' ? signal.reason : 'The question was withdrawn.',
        );
        return undefined;
      }
      if (line === undefined) {
        this.output.endPrompt('');
        this.output.say(END_OF_INPUT);
        return 'deny';
      }
      this.output.endPrompt(this.interactive ? undefined : line);
      const answer = parseApprovalAnswer(line);
      if (answer !== undefined) return answer;
      lines = ['Please answer y (allow once), n (deny) or a (allow for the rest of this task).'];
    }
  }

  close(): void {
    this.reader.close();
  }

  private endOfInput(request: ApprovalRequest): ApprovalAnswer {
    for (const line of formatApprovalRequest(request)) this.output.say(line);
    this.output.say(END_OF_INPUT);
    return 'deny';
  }
}
