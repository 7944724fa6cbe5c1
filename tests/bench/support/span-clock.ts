// The orchestrator's own clock, read off its telemetry: an OTLP/HTTP JSON receiver on loopback that
// keeps the GenAI spans (invoke_agent, chat, execute_tool) with their start and end times. A chat
// span ends when the model's answer has arrived whole (its tool_use included) and the next one starts
// when the loop hands the request carrying the tool_result to the SDK, so the gap between them is
// the loop's own time per tool call, measured inside the process that runs it. Only Steward's spans
// count (scope `@steward/<service>`): the Anthropic SDK's span of each API call is a `chat` too.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface OtlpAttribute {
  readonly key: string;
  readonly value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  readonly traceId: string;
  readonly name: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes?: readonly OtlpAttribute[];
}
interface OtlpBody {
  readonly resourceSpans?: ReadonlyArray<{
    scopeSpans?: ReadonlyArray<{ scope?: { name?: string }; spans?: readonly OtlpSpan[] }>;
  }>;
}

export interface TimedSpan {
  readonly traceId: string;
  readonly operation: string;
  /** invoke_agent: the task id (gen_ai.agent.id). */
  readonly agentId: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
}

/** Nanoseconds since the epoch (as a decimal string) → milliseconds, keeping microseconds. */
const toMs = (nanos: string): number => Number(BigInt(nanos) / 1_000n) / 1_000;

export class SpanClock {
  private readonly spans: TimedSpan[] = [];
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<SpanClock> {
    const received: string[] = [];
    let take = (text: string): void => void received.push(text);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') take(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const clock = new SpanClock(server, `http://127.0.0.1:${port}`);
    take = (text) => clock.take(text);
    for (const text of received) clock.take(text);
    return clock;
  }

  private take(text: string): void {
    const body = JSON.parse(text) as OtlpBody;
    for (const resource of body.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        // Steward's own spans: the SDK traces its API calls with GenAI attributes of its own.
        if (!(scope.scope?.name ?? '').startsWith('@steward/')) continue;
        for (const span of scope.spans ?? []) {
          const attribute = (key: string): string | undefined => {
            const value = span.attributes?.find((a) => a.key === key)?.value;
            return value?.stringValue ?? (value?.intValue === undefined ? undefined : String(value.intValue));
          };
          const operation = attribute('gen_ai.operation.name');
          if (operation === undefined) continue;
          this.spans.push({
            traceId: span.traceId,
            operation,
            agentId: attribute('gen_ai.agent.id'),
            startMs: toMs(span.startTimeUnixNano),
            endMs: toMs(span.endTimeUnixNano),
          });
        }
      }
    }
  }

  /**
   * The task's chat and execute_tool spans in start order, once `chats` chat spans have arrived
   * (the exporter sends in batches); rejects after `timeoutMs`.
   */
  async taskSpans(
    taskId: string,
    chats: number,
    timeoutMs = 30_000,
  ): Promise<{ chats: TimedSpan[]; tools: TimedSpan[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const trace = this.spans.find((span) => span.operation === 'invoke_agent' && span.agentId === taskId);
      const inTrace = (operation: string): TimedSpan[] =>
        this.spans
          .filter((span) => span.traceId === trace?.traceId && span.operation === operation)
          .sort((a, b) => a.startMs - b.startMs);
      const found = trace === undefined ? [] : inTrace('chat');
      if (found.length >= chats) return { chats: found, tools: inTrace('execute_tool') };
      if (Date.now() > deadline)
        throw new Error(`the orchestrator exported ${found.length} of ${chats} chat spans of task ${taskId}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
