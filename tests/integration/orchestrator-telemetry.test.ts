import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '@steward/contracts';
import { reply, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { freePortRange } from '../support/stack.js';
import { answerApproval, createTask, taskIn } from '../support/tasks.js';

/*
 * A task seen by a security team: invoke_agent → chat and execute_tool spans with gen_ai.*
 * attributes, the tool's bus request continuing the trace into fs-service; metrics for tokens,
 * cost and tool decisions with their source; and no prompt, file content or key exported.
 */

const API_KEY = 'sk-ant-telemetry-test-key-000000';
const PROMPT_MARKER = 'confidential-prompt-words-7f3e';
const FILE_MARKER = 'confidential-file-content-91ab';

describe('orchestrator telemetry', () => {
  let agent: AgentStack;
  let receiver: OtlpReceiver;
  let metricsBase: number;
  let dir: string;
  let taskId: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    metricsBase = await freePortRange(SERVICE_NAMES.length);
    agent = await startAgentStack({
      apiKey: API_KEY,
      env: () => ({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        STEWARD_METRICS_PORT_BASE: String(metricsBase),
      }),
    });
    dir = agent.folder({ 'secret.txt': `${FILE_MARKER}\n` }, 'steward-telemetry-');
    agent.script.add('[telemetry]', [
      reply([toolUse('read_file', { path: join(dir, 'secret.txt') })], {
        usage: { inputTokens: 1200, outputTokens: 40 },
      }),
      toolUse('write_file', { path: join(dir, 'out.txt'), content: `${FILE_MARKER} copied\n` }),
      text('done'),
    ]);
    taskId = (await createTask(agent.page, { prompt: `[telemetry] ${PROMPT_MARKER}`, folders: [dir] })).id;
    await answerApproval(agent.page, taskId, 'allow');
    await taskIn(agent.page, taskId, ['completed']);
  }, 180_000);

  afterAll(async () => {
    await agent?.close();
    await receiver?.close();
  });

  it('exports invoke_agent, chat and execute_tool spans with gen_ai attributes in one trace', async () => {
    const spans = await receiver.waitFor((all) =>
      all.some(
        (span) =>
          span.service === 'fs-service' &&
          span.name === 'fs.file.write' &&
          all.some((parent) => parent.spanId === span.parentSpanId),
      ),
    );
    const agent = spans.find(
      (span) => span.name === 'invoke_agent steward' && span.attributes['gen_ai.agent.id'] === taskId,
    );
    expect(agent?.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.request.model': 'anthropic:claude-sonnet-4-6',
    });
    const trace = spans.filter((span) => span.traceId === agent?.traceId);
    const chats = trace.filter((span) => span.name === 'chat claude-sonnet-4-6');
    expect(chats).toHaveLength(3);
    // The SDK's own span for each API call sits under Steward's chat span (one per attempt).
    const sdkCalls = trace.filter((span) => span.name === 'anthropic.messages.create');
    expect(sdkCalls.map((span) => span.parentSpanId).sort()).toEqual(chats.map((span) => span.spanId).sort());
    expect(chats[0]?.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      'gen_ai.usage.output_tokens': 40,
    });
    const tools = trace.filter((span) => span.attributes['gen_ai.operation.name'] === 'execute_tool');
    expect(tools.map((span) => span.attributes['gen_ai.tool.name'])).toEqual(['read_file', 'write_file']);
    // The tool's bus request continues the trace in fs-service, under execute_tool.
    const write = trace.find((span) => span.service === 'fs-service' && span.name === 'fs.file.write');
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const chain: string[] = [];
    for (let span = write; span !== undefined; span = byId.get(span.parentSpanId ?? ''))
      chain.unshift(span.name);
    // The request that created the task, then the agent, the tool call and fs-service's handler.
    expect(chain[0]).toBe('orchestrator.task.create');
    expect(chain.slice(1, 3)).toEqual(['invoke_agent steward', 'execute_tool write_file']);
    expect(chain.at(-1)).toBe('fs.file.write');
  });

  it('exports no prompt, no file content and no API key', () => {
    const exported = receiver.rawBodies.join('\n');
    expect(exported).not.toContain(PROMPT_MARKER);
    expect(exported).not.toContain(FILE_MARKER);
    expect(exported).not.toContain(API_KEY);
  });

  it('counts tokens, cost and tool decisions with their source', async () => {
    const port = metricsBase + SERVICE_NAMES.indexOf('orchestrator');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/gen_ai_client_token_usage\w*_count\{[^}]*gen_ai_token_type="output"/);
    expect(metrics).toMatch(
      /steward_task_cost\w*\{[^}]*gen_ai_request_model="anthropic:claude-sonnet-4-6"[^}]*\} [0-9.e-]+/,
    );
    expect(metrics).toMatch(
      /steward_tool_decisions\w*\{[^}]*gen_ai_tool_name="read_file"[^}]*steward_decision_source="mode"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /steward_tool_decisions\w*\{[^}]*gen_ai_tool_name="write_file"[^}]*steward_decision="allow"[^}]*steward_decision_source="person"[^}]*\} 1/,
    );
    expect(metrics).toMatch(/steward_task_duration\w*_count\{[^}]*steward_task_status="completed"/);
    expect(metrics).not.toContain(PROMPT_MARKER);
  });
});
