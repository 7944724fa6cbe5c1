import { SpanStatusCode, type Span } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { RedactingSpanProcessor } from './redacting-span-processor.js';
import { isContentAttribute, REDACTED, redactSecrets } from './redaction.js';

const MARKER = 'MARKER-7f3a-content-must-not-leak';

function exportOneSpan(captureContent: boolean, record: (span: Span) => void): ReadableSpan {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new RedactingSpanProcessor(new SimpleSpanProcessor(exporter), captureContent)],
  });
  const span = provider.getTracer('redaction-spec').startSpan('chat');
  record(span);
  span.end();
  const [exported] = exporter.getFinishedSpans();
  if (exported === undefined) throw new Error('no span reached the exporter');
  return exported;
}

describe('isContentAttribute', () => {
  it('recognises GenAI content keys and everything under steward.content.', () => {
    for (const key of [
      'gen_ai.prompt',
      'gen_ai.completion',
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.tool.call.arguments',
      'gen_ai.tool.call.result',
      'gen_ai.prompt.0.content',
      'steward.content.file',
      'steward.content.diff.after',
    ]) {
      expect(isContentAttribute(key), key).toBe(true);
    }
  });

  it('leaves metadata keys alone', () => {
    for (const key of [
      'gen_ai.operation.name',
      'gen_ai.request.model',
      'gen_ai.usage.input_tokens',
      'steward.contents',
      'gen_ai.tool.name',
    ]) {
      expect(isContentAttribute(key), key).toBe(false);
    }
  });
});

describe('redactSecrets', () => {
  it('masks Anthropic keys and bearer tokens but keeps the surrounding text', () => {
    expect(redactSecrets('calling with sk-ant-api03-AbC_dEf-123 failed')).toBe(
      `calling with ${REDACTED} failed`,
    );
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig')).toBe(`Authorization: ${REDACTED}`);
  });

  it('masks other well-known token shapes and private keys', () => {
    expect(redactSecrets('ghp_abcdefghijklmnopqrstuvwxyz0123')).toBe(REDACTED);
    expect(redactSecrets('key AKIAABCDEFGHIJKLMNOP here')).toBe(`key ${REDACTED} here`);
    expect(redactSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----')).toBe(
      REDACTED,
    );
  });

  it('leaves ordinary text untouched', () => {
    expect(redactSecrets('read 3 files from ~/notes in 12 ms')).toBe('read 3 files from ~/notes in 12 ms');
  });
});

describe('RedactingSpanProcessor', () => {
  it('drops content attributes when content capture is off and keeps metadata', () => {
    const span = exportOneSpan(false, (live) => {
      live.setAttribute('gen_ai.input.messages', MARKER);
      live.setAttribute('gen_ai.tool.call.result', MARKER);
      live.setAttribute('steward.content.file', MARKER);
      live.setAttribute('gen_ai.operation.name', 'chat');
      live.setAttribute('gen_ai.usage.input_tokens', 42);
    });

    expect(span.attributes).toEqual({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 42 });
    expect(span.droppedAttributesCount).toBe(3);
    expect(JSON.stringify(span.attributes)).not.toContain(MARKER);
  });

  it('drops content attributes from span events too', () => {
    const span = exportOneSpan(false, (live) => {
      live.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': MARKER, 'gen_ai.operation.name': 'chat' });
    });

    expect(span.events[0]?.attributes).toEqual({ 'gen_ai.operation.name': 'chat' });
  });

  it('exports content attributes when content capture is on', () => {
    const span = exportOneSpan(true, (live) => {
      live.setAttribute('gen_ai.input.messages', MARKER);
      live.setAttribute('steward.content.file', MARKER);
    });

    expect(span.attributes).toEqual({ 'gen_ai.input.messages': MARKER, 'steward.content.file': MARKER });
  });

  it.each([false, true])(
    'masks secret-shaped values whatever the content setting (captureContent=%s)',
    (captureContent) => {
      const span = exportOneSpan(captureContent, (live) => {
        live.setAttribute('steward.tool.input', 'token sk-ant-api03-secretsecret');
        live.setAttribute('gen_ai.input.messages', 'my key is sk-ant-api03-secretsecret');
        live.setAttribute('http.request.header.authorization', 'Token opaque-value');
        live.setAttribute('steward.headers', ['Bearer abc.def', 'accept: */*']);
        live.addEvent('retry', { reason: 'Bearer abc.def rejected' });
        live.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream refused sk-ant-api03-secretsecret' });
      });

      const exported = JSON.stringify({
        attributes: span.attributes,
        events: span.events,
        status: span.status,
      });
      expect(exported).not.toContain('sk-ant-api03-secretsecret');
      expect(exported).not.toContain('abc.def');
      expect(exported).not.toContain('opaque-value');
      expect(span.attributes['steward.tool.input']).toBe(`token ${REDACTED}`);
      expect(span.attributes['http.request.header.authorization']).toBe(REDACTED);
      expect(span.attributes['steward.headers']).toEqual([REDACTED, 'accept: */*']);
      expect(span.status.message).toBe(`upstream refused ${REDACTED}`);
    },
  );

  it('keeps span identity and timing on the redacted copy', () => {
    let traceId = '';
    const span = exportOneSpan(false, (live) => {
      traceId = live.spanContext().traceId;
      live.setAttribute('gen_ai.prompt', MARKER);
    });

    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.name).toBe('chat');
    expect(span.ended).toBe(true);
    expect(span.resource.attributes).toBeDefined();
  });
});
