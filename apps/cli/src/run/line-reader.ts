/** The part of a readable stream the reader needs (process.stdin, or a PassThrough in tests). */
export interface LineSource {
  setEncoding(encoding: 'utf8'): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** A line this long is not an answer; it is dropped rather than kept in memory. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Reads the person's answers one line at a time, starting to read only when first asked, so a
 * run that never needs an answer leaves stdin alone. Lines that arrive before they are asked for
 * wait in order (answers piped in ahead); the end of input answers every later read with
 * `undefined`.
 */
export class LineReader {
  private readonly lines: string[] = [];
  private partial = '';
  private ended = false;
  private started = false;
  private closed = false;
  private waiter: ((line: string | undefined) => void) | undefined;

  constructor(private readonly source: LineSource) {}

  /** The next line (without its line end), or undefined at the end of input or when aborted. */
  read(signal?: AbortSignal): Promise<string | undefined> {
    this.start();
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended || this.closed || signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (line) => {
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(line);
      };
    });
  }

  /** Whether the input has ended and every line was read. */
  get exhausted(): boolean {
    return this.ended && this.lines.length === 0;
  }

  /** Forgets lines typed before the question was shown (they answered something else). */
  discardBuffered(): void {
    this.lines.length = 0;
  }

  /** Stops reading, so an open terminal does not keep the process alive. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.started) {
      this.source.removeAllListeners('data');
      this.source.removeAllListeners('end');
      this.source.removeAllListeners('close');
      this.source.removeAllListeners('error');
      this.source.pause();
    }
    this.waiter?.(undefined);
  }

  private start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.source.setEncoding('utf8');
    this.source.on('data', (chunk) => this.take(chunk));
    this.source.on('end', () => this.end());
    this.source.on('close', () => this.end());
    this.source.on('error', () => this.end());
    this.source.resume();
  }

  private take(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS) this.partial = '';
    for (const part of parts) this.push(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.partial !== '') this.push(this.partial);
    this.partial = '';
    this.waiter?.(undefined);
  }

  private push(line: string): void {
    if (this.waiter !== undefined) this.waiter(line);
    else this.lines.push(line);
  }
}
