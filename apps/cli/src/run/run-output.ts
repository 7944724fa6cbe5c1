import { isGeneralActivity, renderProgressLine, type ProgressState } from './progress-line.js';
import { stripForTerminal, visibleText } from './terminal-text.js';

/** The part of a process stream the output needs (process.stdout / process.stderr, or a fake). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface RunOutputOptions {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** `--json`: no live line, no streamed answer, no activity log; only what must be said. */
  readonly quiet: boolean;
  readonly now?: () => number;
}

/** Clears the whole current line and returns to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/**
 * The terminal of `steward run`: the answer streams to stdout, everything else goes to stderr —
 * on a terminal a live line rewritten in place, elsewhere plain lines when it changes. The live
 * line is cleared before anything else is written and drawn again after, and never drawn while
 * the answer is in the middle of a line, so the two never garble each other. While a prompt waits
 * for an answer, everything else is held back and written after it.
 */
export class RunOutput {
  private readonly stdout: OutStream;
  private readonly stderr: OutStream;
  private readonly quiet: boolean;
  private readonly now: () => number;
  private readonly startedAt: number;
  /** stderr is a terminal: the progress line is live. */
  private readonly live: boolean;
  /** Both are terminals, taken to be the same screen. */
  private readonly shared: boolean;
  private state: ProgressState | undefined;
  private lineShown = false;
  private midLine = false;
  private lastPlan = '';
  private lastWork = '';
  private held = false;
  /** A question is on screen and the answer has not ended its line yet. */
  private promptOpen = false;
  private readonly heldBack: Array<() => void> = [];
  /** Lines for stderr that wait for the answer's current line to end. */
  private readonly afterLine: string[] = [];

  constructor(options: RunOutputOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.quiet = options.quiet;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.live = options.stderr.isTTY === true && !options.quiet;
    this.shared = this.live && options.stdout.isTTY === true;
  }

  get elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /** Answer text as it streams in. */
  answer(text: string): void {
    if (this.quiet || text === '') return;
    this.whenFree(() => {
      this.clearLine();
      const shown = this.stdout.isTTY === true ? stripForTerminal(text) : text;
      if (shown === '') return;
      this.stdout.write(shown);
      this.midLine = !shown.endsWith('\n');
      if (!this.midLine) this.flushAfterLine();
      this.drawLine();
    });
  }

  /** Ends the answer's current line, if it is in the middle of one (a model turn ended). */
  endAnswerLine(): void {
    this.whenFree(() => {
      if (!this.midLine) return;
      this.stdout.write('\n');
      this.midLine = false;
      this.flushAfterLine();
      this.drawLine();
    });
  }

  /** A line of the activity log (a tool that finished, a notice); not shown with --json. */
  log(line: string): void {
    if (this.quiet) return;
    this.say(line);
  }

  /** A line that is always shown on stderr (errors, approvals decided, the summary). */
  say(line: string): void {
    this.whenFree(() => {
      if (this.midLine) {
        this.afterLine.push(line);
        return;
      }
      this.writeLine(line);
    });
  }

  /** Said now even in the middle of the answer's line: the person must see it at once. */
  urgent(line: string): void {
    this.clearLine();
    if (this.promptOpen) {
      this.stderr.write('\n');
      this.promptOpen = false;
    }
    if (this.midLine && this.shared) {
      // On one screen the answer's line is broken here; it goes on below, nothing is lost.
      this.stderr.write('\n');
      this.midLine = false;
    }
    this.stderr.write(`${visibleText(line)}\n`);
    this.drawLine();
  }

  /** The live state changed. */
  progress(state: ProgressState): void {
    this.state = state;
    if (this.quiet) return;
    if (this.live) {
      this.whenFree(() => this.drawLine());
      return;
    }
    // A plain log gets a line when the plan moves on or a tool call starts, not for every pause.
    const plan =
      state.progress === undefined || state.progress.total === 0
        ? ''
        : `${state.progress.done}/${state.progress.total}`;
    const work = isGeneralActivity(state.activity) ? '' : state.activity;
    const planMoved = plan !== this.lastPlan;
    const workStarted = work !== '' && work !== this.lastWork;
    this.lastPlan = plan;
    this.lastWork = work;
    if ((planMoved && plan !== '') || workStarted) this.say(renderProgressLine(state));
  }

  /** Redraws the live line (its elapsed time moves on). */
  tick(): void {
    if (this.live && !this.held) this.drawLine();
  }

  /**
   * Shows a question and holds everything else back until `endPrompt`. `lines` come first, then the
   * question without a line end, so the answer is typed after it.
   */
  prompt(lines: readonly string[], question: string): void {
    this.held = true;
    this.clearLine();
    if (this.midLine) this.stderr.write('\n');
    for (const line of lines) this.stderr.write(`${line}\n`);
    this.stderr.write(question);
    this.promptOpen = true;
  }

  /** `echo` is written after the question (an answer that came from a pipe, not typed). */
  endPrompt(echo?: string): void {
    if (echo !== undefined && this.promptOpen) this.stderr.write(`${visibleText(echo)}\n`);
    this.promptOpen = false;
    this.held = false;
    for (const write of this.heldBack.splice(0)) write();
    this.drawLine();
  }

  /** The question is withdrawn (answered elsewhere, expired, cancelled); the line is ended. */
  abandonPrompt(reason: string): void {
    this.stderr.write(`${this.promptOpen ? '\n' : ''}${visibleText(reason)}\n`);
    this.endPrompt();
  }

  /** Removes the live line for good: the run is over. */
  finish(): void {
    this.state = undefined;
    if (this.promptOpen) this.stderr.write('\n');
    if (this.held) this.endPrompt();
    this.endAnswerLine();
    this.clearLine();
  }

  private whenFree(write: () => void): void {
    if (this.held) this.heldBack.push(write);
    else write();
  }

  private writeLine(line: string): void {
    this.clearLine();
    // Tabs (in a tool's first line of output) read better as a space than as an escape.
    this.stderr.write(`${visibleText(line.replace(/\t/g, ' '))}\n`);
    this.drawLine();
  }

  private flushAfterLine(): void {
    for (const line of this.afterLine.splice(0)) this.writeLine(line);
  }

  private clearLine(): void {
    if (!this.lineShown) return;
    this.stderr.write(CLEAR_LINE);
    this.lineShown = false;
  }

  private drawLine(): void {
    if (!this.live || this.held || this.state === undefined) return;
    if (this.shared && this.midLine) return;
    // A terminal that does not say how wide it is (0 under some pty wrappers) gets the usual 80.
    const columns = this.stderr.columns !== undefined && this.stderr.columns > 0 ? this.stderr.columns : 80;
    const line = renderProgressLine(this.state, { elapsedMs: this.elapsedMs, columns });
    this.stderr.write(`${CLEAR_LINE}${line}`);
    this.lineShown = true;
  }
}
