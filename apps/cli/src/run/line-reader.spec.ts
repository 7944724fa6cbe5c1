import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineReader } from './line-reader.js';

describe('LineReader', () => {
  it('gives answers piped in ahead one line at a time, in order, then undefined at the end', async () => {
    const input = new PassThrough();
    input.end('y\r\nn\na');
    const reader = new LineReader(input);
    expect(await reader.read()).toBe('y');
    expect(await reader.read()).toBe('n');
    expect(await reader.read()).toBe('a');
    expect(await reader.read()).toBeUndefined();
    expect(reader.exhausted).toBe(true);
  });

  it('waits for a line typed later, even when it arrives in pieces', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    const pending = reader.read();
    input.write('ye');
    input.write('s\n');
    expect(await pending).toBe('yes');
  });

  it('does not read the input until it is first asked for a line', () => {
    const input = new PassThrough();
    new LineReader(input);
    expect(input.listenerCount('data')).toBe(0);
  });

  it('answers undefined to a read that is aborted, and keeps the next line for the next read', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    const controller = new AbortController();
    const pending = reader.read(controller.signal);
    controller.abort();
    expect(await pending).toBeUndefined();
    input.write('n\n');
    expect(await reader.read()).toBe('n');
  });

  it('drops lines typed before the question when asked to', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    void reader.read();
    input.write('y\n');
    input.write('y\nn\n');
    await new Promise((resolve) => setImmediate(resolve));
    reader.discardBuffered();
    const next = reader.read();
    input.write('a\n');
    expect(await next).toBe('a');
  });

  it('stops reading when closed, answering a waiting read with undefined', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    const pending = reader.read();
    reader.close();
    expect(await pending).toBeUndefined();
    expect(input.listenerCount('data')).toBe(0);
  });
});
