import type { TaskEvent } from '@steward/contracts';
import type { Stack } from './stack.js';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

/** An event stream opened as a browser's EventSource would: GET with the token, frames parsed. */
export class SsePage {
  readonly events: SseEvent[] = [];
  comments = 0;
  private readonly abort = new AbortController();
  private reading: Promise<void> | undefined;

  constructor(
    private readonly stack: Stack,
    private readonly path: string,
  ) {}

  async open(lastEventId?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const res = await this.stack.api(this.path, { headers, signal: this.abort.signal });
    if (res.ok && res.body) this.reading = this.read(res.body);
    return res;
  }

  get taskEvents(): TaskEvent[] {
    return this.events.map((e) => JSON.parse(e.data) as TaskEvent);
  }

  async until(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`${this.events.length} of ${count} events arrived: ${JSON.stringify(this.events)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.frame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // The page went away (aborted by the test).
    }
  }

  private frame(text: string): void {
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) this.comments++;
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) this.events.push({ id, event, data: data.join('\n') });
  }
}
