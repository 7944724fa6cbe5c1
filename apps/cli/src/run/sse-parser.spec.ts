import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from './sse-parser.js';

const STREAM =
  'retry: 2000\n\n' +
  ': keepalive\n\n' +
  'id: 7\nevent: text\ndata: {"delta":"Hel"}\n\n' +
  'id: 8\r\nevent: text\r\ndata: {"delta":"lo"}\r\n\r\n' +
  'id: 9\revent: status\rdata: line one\rdata: line two\r\r';

const EXPECTED: SseMessage[] = [
  { id: '7', event: 'text', data: '{"delta":"Hel"}' },
  { id: '8', event: 'text', data: '{"delta":"lo"}' },
  { id: '9', event: 'status', data: 'line one\nline two' },
];

function feed(chunks: readonly string[]): { messages: SseMessage[]; parser: SseParser } {
  const parser = new SseParser();
  const messages = chunks.flatMap((chunk) => parser.push(chunk));
  return { messages, parser };
}

describe('SseParser', () => {
  it('reads ids, kinds and multi-line data with LF, CRLF and CR line endings', () => {
    const { messages, parser } = feed([STREAM]);
    expect(messages).toEqual(EXPECTED);
    expect(parser.retryMs).toBe(2000);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let at = 0; at < STREAM.length; at += size) chunks.push(STREAM.slice(at, at + size));
      expect(feed(chunks).messages, `chunks of ${size}`).toEqual(EXPECTED);
    }
  });

  it('treats a CR at the end of one chunk and an LF at the start of the next as one line end', () => {
    const { messages } = feed(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(messages).toEqual([{ id: undefined, event: 'message', data: 'a\nb' }]);
  });

  it('dispatches nothing until the blank line that ends an event arrives', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\nevent: todos\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ id: '1', event: 'todos', data: '{}' }]);
  });

  it('keeps the last id for events that carry none, and starts from the id it resumes after', () => {
    const parser = new SseParser('41');
    expect(parser.push('data: x\n\nid: 42\ndata: y\n\ndata: z\n\n')).toEqual([
      { id: '41', event: 'message', data: 'x' },
      { id: '42', event: 'message', data: 'y' },
      { id: '42', event: 'message', data: 'z' },
    ]);
  });

  it('ignores comments, unknown fields, events without data and an id with a NUL', () => {
    const { messages } = feed(['\uFEFF: hello\nfoo: bar\nevent: empty\n\nid: 3\0\nid: 4\ndata\n\n']);
    expect(messages).toEqual([{ id: '4', event: 'message', data: '' }]);
  });

  it('refuses a line that never ends instead of growing without bound', () => {
    const parser = new SseParser();
    const big = 'x'.repeat(1024 * 1024);
    expect(() => {
      for (let i = 0; i < 17; i++) parser.push(big);
    }).toThrow(/longer than 16 MiB/);
  });
});
