import { describe, expect, it } from 'vitest';
import { sinkAll, TextSink } from './text-sink.js';

describe('text sink', () => {
  it('joins lines with newlines and is not truncated while everything fits', () => {
    const sink = new TextSink(100);
    expect(sink.line('one')).toBe(true);
    expect(sink.line('')).toBe(true);
    expect(sink.line('three')).toBe(true);
    expect(sink.text()).toBe('one\n\nthree');
    expect(sink.truncated).toBe(false);
  });

  it('cuts the line that overflows the budget and refuses every later line', () => {
    const sink = new TextSink(10);
    expect(sink.line('abcd')).toBe(true);
    expect(sink.line('efghijk')).toBe(false);
    expect(sink.text()).toBe('abcd\nefghi');
    expect(sink.text()).toHaveLength(10);
    expect(sink.truncated).toBe(true);
    expect(sink.line('x')).toBe(false);
    expect(sink.text()).toBe('abcd\nefghi');
  });

  it('is not truncated when the text ends exactly at the budget', () => {
    const sink = new TextSink(6);
    expect(sink.line('ab')).toBe(true);
    expect(sink.line('cde')).toBe(true);
    expect(sink.truncated).toBe(false);
    expect(sink.text()).toBe('ab\ncde');
  });

  it('never splits a surrogate pair at the cut', () => {
    const sink = new TextSink(3);
    sink.line('ab😀');
    expect(sink.text()).toBe('ab');
    expect(sink.truncated).toBe(true);
  });

  it('writes lines with a prefix until the sink is full', () => {
    const sink = new TextSink(12);
    expect(sinkAll(sink, ['a', 'b'], 'n: ')).toBe(true);
    expect(sinkAll(sink, ['c', 'd'], 'n: ')).toBe(false);
    expect(sink.text()).toBe('n: a\nn: b\nn:');
  });
});
