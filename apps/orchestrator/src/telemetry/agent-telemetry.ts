import { getMeter, SpanKind, withSpan, type Span } from '@steward/telemetry';
import type { TokenUsage } from '../model/model-types.js';

/*
 * The agent's OpenTelemetry face, after the GenAI semantic conventions: an `invoke_agent` span per
 * task run, a `chat` span per model turn and an `execute_tool` span per tool call (whose bus
 * request carries the trace on to fs-service or vm-service). Prompts, answers and file contents are
 * never set as attributes here; metrics carry counts and labels only.
 */

const meter = getMeter();
const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
  description: 'Tokens per model turn, by type (input, output, cache_read, cache_write)',
  unit: '{token}',
});
const operationDuration = meter.createHistogram('gen_ai.client.operation.duration', {
  description: 'How long a model turn took, retries included',
  unit: 's',
});
const costCounter = meter.createCounter('steward.task.cost', {
  description: 'Model cost in US dollars, by model',
  unit: 'USD',
});
const decisionCounter = meter.createCounter('steward.tool.decisions', {
  description:
    'Approval chain decisions, by tool, decision and where it came from (policy, rule, mode, person, always)',
});
const taskDuration = meter.createHistogram('steward.task.duration', {
  description: 'How long tasks ran, from start (or resume) to their end, by final status',
  unit: 's',
});
const stopCounter = meter.createCounter('steward.task.stops', {
  description: 'Tasks stopped by a guard (budget, repeated calls), by reason',
});

export function invokeAgentSpan<T>(
  task: { id: string; model: string; parentId: string | null },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return withSpan(
    'invoke_agent steward',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': task.parentId === null ? 'steward' : 'steward-subagent',
        'gen_ai.agent.id': task.id,
        'gen_ai.request.model': task.model,
        ...(task.parentId === null ? {} : { 'steward.task.parent_id': task.parentId }),
      },
    },
    fn,
  );
}

export async function chatSpan<T extends { usage: TokenUsage; stopReason: string }>(
  provider: string,
  model: string,
  maxTokens: number,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  return withSpan(
    `chat ${model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': provider,
        'gen_ai.system': provider,
        'gen_ai.request.model': model,
        'gen_ai.request.max_tokens': maxTokens,
      },
    },
    async (span) => {
      const reply = await fn();
      const seconds = (performance.now() - started) / 1000;
      const labels = { 'gen_ai.provider.name': provider, 'gen_ai.request.model': model };
      span.setAttributes({
        'gen_ai.response.finish_reasons': [reply.stopReason],
        'gen_ai.usage.input_tokens':
          reply.usage.inputTokens + reply.usage.cacheReadTokens + reply.usage.cacheWriteTokens,
        'gen_ai.usage.output_tokens': reply.usage.outputTokens,
        'gen_ai.usage.cache_read_input_tokens': reply.usage.cacheReadTokens,
        'gen_ai.usage.cache_creation_input_tokens': reply.usage.cacheWriteTokens,
      });
      operationDuration.record(seconds, labels);
      tokenUsage.record(reply.usage.inputTokens, { ...labels, 'gen_ai.token.type': 'input' });
      tokenUsage.record(reply.usage.outputTokens, { ...labels, 'gen_ai.token.type': 'output' });
      tokenUsage.record(reply.usage.cacheReadTokens, { ...labels, 'gen_ai.token.type': 'cache_read' });
      tokenUsage.record(reply.usage.cacheWriteTokens, { ...labels, 'gen_ai.token.type': 'cache_write' });
      return reply;
    },
  );
}

export function executeToolSpan<T>(
  call: { id: string; tool: string },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return withSpan(
    `execute_tool ${call.tool}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': call.tool,
        'gen_ai.tool.call.id': call.id,
      },
    },
    fn,
  );
}

export function recordDecision(tool: string, decision: string, source: string): void {
  decisionCounter.add(1, {
    'gen_ai.tool.name': tool,
    'steward.decision': decision,
    'steward.decision.source': source,
  });
}

export function recordCost(model: string, dollars: number): void {
  if (dollars > 0) costCounter.add(dollars, { 'gen_ai.request.model': model });
}

export function recordTaskEnd(status: string, seconds: number): void {
  taskDuration.record(seconds, { 'steward.task.status': status });
}

export function recordStop(reason: 'budget' | 'repeated_calls'): void {
  stopCounter.add(1, { 'steward.stop.reason': reason });
}
