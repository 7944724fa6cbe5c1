import { describe, expect, it } from 'vitest';
import { compileGrepPattern } from './grep-pattern.js';
import { createLineMatcher, excerpt, scanLines, type LineHit, type LineSink } from './line-scan.js';

function scan(pattern: string, text: string, maxLineChars = 300): { count: number; hits: LineHit[] } {
  const hits: LineHit[] = [];
  const sink: LineSink = { wants: () => true, take: (hit) => hits.push(hit) };
  const count = scanLines(
    Buffer.from(text),
    createLineMatcher(compileGrepPattern(pattern)),
    sink,
    maxLineChars,
  );
  return { count, hits };
}

describe('scanning a file for matching lines', () => {
  it('reports each matching line once, with its number and the column of the first match', () => {
    const { count, hits } = scan('cat', 'a cat and a cat\nno\ncat\n');
    expect(count).toBe(2);
    expect(hits).toEqual([
      { line: 1, column: 3, text: 'a cat and a cat' },
      { line: 3, column: 1, text: 'cat' },
    ]);
  });

  it('gives the same lines for a plain string and for the regex route', () => {
    const text = 'alpha\nbeta gamma\r\ngamma\n\ndelta gamma';
    const literal = scan('gamma', text);
    const regex = scan('gam+a', text);
    expect(literal.hits).toEqual(regex.hits);
    expect(literal.hits.map((hit) => hit.line)).toEqual([2, 3, 5]);
    expect(literal.hits[0]?.text).toBe('beta gamma');
  });

  it('never lets a match span two lines', () => {
    expect(scan('end\\s+start', 'the end\nstart here\n').count).toBe(0);
    expect(scan('end\\s+start', 'the end  start here\n').count).toBe(1);
    expect(scan('a[^x]*b', 'a\nb\n').count).toBe(0);
  });

  it('does not let a lookaround see the neighbouring line', () => {
    expect(scan('(?<=a\\s)b', 'a\nb\n').count).toBe(0);
    expect(scan('(?<=a\\s)b', 'a b\n').count).toBe(1);
  });

  it('anchors ^ and $ to each line, and counts no line after the final line break', () => {
    expect(scan('^b', 'a\nb\nab\n').hits.map((hit) => hit.line)).toEqual([2]);
    expect(scan('a$', 'ba\r\nab\n').hits.map((hit) => hit.line)).toEqual([1]);
    expect(scan('^', 'one\ntwo\n').count).toBe(2);
    expect(scan('^', 'one\ntwo').count).toBe(2);
    expect(scan('^', '').count).toBe(0);
  });

  it('counts columns in characters, not bytes', () => {
    expect(scan('x', 'éé x').hits[0]?.column).toBe(4);
    expect(scan('x+', 'éé x').hits[0]?.column).toBe(4);
  });

  it('skips the regex for files without the required string', () => {
    const matcher = createLineMatcher(compileGrepPattern('INV-\\d+'));
    expect(matcher.kind === 'regex' && matcher.required?.toString()).toBe('INV-');
    expect(scanLines(Buffer.from('INV-12\nINV-x\n'), matcher, undefined, 300)).toBe(1);
  });

  it('keeps counting once the sink stops wanting lines', () => {
    const taken: number[] = [];
    const sink: LineSink = { wants: (line) => line < 3, take: (hit) => taken.push(hit.line) };
    const text = 'hit\nhit\nhit\nhit\n';
    const count = scanLines(Buffer.from(text), createLineMatcher(compileGrepPattern('hit')), sink, 300);
    expect(count).toBe(4);
    expect(taken).toEqual([1, 2]);
  });

  it('returns a window around the match of a long line, marked where cut', () => {
    const line = `${'a'.repeat(5_000)}NEEDLE${'b'.repeat(5_000)}`;
    for (const pattern of ['NEEDLE', 'NEE+DLE']) {
      const [hit] = scan(pattern, `${line}\n`, 100).hits;
      expect(hit?.column).toBe(5_001);
      expect(hit?.text.length).toBeLessThanOrEqual(100);
      expect(hit?.text).toContain('NEEDLE');
      expect(hit?.text.startsWith('…')).toBe(true);
      expect(hit?.text.endsWith('…')).toBe(true);
    }
  });
});

describe('excerpt', () => {
  it('returns a line that fits unchanged', () => {
    expect(excerpt('short line', 0, 5, 300, false, false)).toBe('short line');
  });

  it('keeps the start of a long line when the match is there', () => {
    const text = excerpt(`match${'x'.repeat(500)}`, 0, 5, 20, false, false);
    expect(text).toBe(`match${'x'.repeat(14)}…`);
    expect(text).toHaveLength(20);
  });

  it('keeps the end of a long line when the match is there, and both marks in the middle', () => {
    expect(excerpt(`${'x'.repeat(500)}match`, 500, 5, 20, false, false)).toBe(`…${'x'.repeat(14)}match`);
    const middle = excerpt(`${'x'.repeat(500)}match${'y'.repeat(500)}`, 500, 5, 20, false, false);
    expect(middle).toHaveLength(20);
    expect(middle).toMatch(/^…x+matchy+…$/);
  });
});
