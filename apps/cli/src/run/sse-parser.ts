import { CliError } from '../cli/cli-error.js';

/** One dispatched server-sent event. */
export interface SseMessage {
  /** The last event id seen on the stream so far (the `id:` a reconnect sends back), if any. */
  readonly id: string | undefined;
  /** `event:` of this message; `message` when it had none. */
  readonly event: string;
  readonly data: string;
}

/** A line this long without an end is not an event stream we can follow. */
const MAX_PENDING_CHARS = 16 * 1024 * 1024;

/**
 * Incremental parser for `text/event-stream` (the WHATWG rules): text arrives in chunks cut
 * anywhere — inside a field, between the CR and LF of one line ending — and complete events come
 * out in order.
 */
export class SseParser {
  private pending = '';
  /** The previous chunk ended in CR: an LF that starts the next one belongs to that line ending. */
  private afterCr = false;
  private started = false;
  private lastId: string | undefined;
  private eventType = '';
  private data: string[] = [];
  private retry: number | undefined;

  constructor(initialLastId?: string) {
    this.lastId = initialLastId;
  }

  /** The reconnection delay the server asked for with `retry:`, if it did. */
  get retryMs(): number | undefined {
    return this.retry;
  }

  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    const messages: SseMessage[] = [];
    let buffer = this.pending + text;
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      if (end === -1) break;
      const line = buffer.slice(0, end);
      if (buffer[end] === '\r') {
        if (end + 1 === buffer.length) {
          this.afterCr = true;
          buffer = '';
        } else {
          buffer = buffer.slice(buffer[end + 1] === '\n' ? end + 2 : end + 1);
        }
      } else {
        buffer = buffer.slice(end + 1);
      }
      const message = this.line(line);
      if (message !== undefined) messages.push(message);
    }
    if (buffer.length > MAX_PENDING_CHARS) {
      throw new CliError('the task event stream sent a line longer than 16 MiB; it cannot be followed');
    }
    this.pending = buffer;
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const type = this.eventType;
    const data = this.data;
    this.eventType = '';
    this.data = [];
    if (data.length === 0) return undefined;
    return { id: this.lastId, event: type === '' ? 'message' : type, data: data.join('\n') };
  }
}
