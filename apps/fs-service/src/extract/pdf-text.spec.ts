import { describe, expect, it } from 'vitest';
import { pageLines, type PlacedText } from './pdf-text.js';

const run = (str: string, x: number, y: number, extra: Partial<PlacedText> = {}): PlacedText => ({
  str,
  x,
  y,
  width: str.length * 6,
  height: 12,
  hasEOL: false,
  ...extra,
});

describe('PDF page lines', () => {
  it('breaks lines where pdf.js marked an end of line', () => {
    expect(pageLines([run('first', 50, 700, { hasEOL: true }), run('second', 50, 700)])).toEqual([
      'first',
      'second',
    ]);
  });

  it('breaks lines where the text moves to another height, even without a marked break', () => {
    expect(pageLines([run('top', 50, 700), run('below', 50, 684), run('right', 300, 700)])).toEqual([
      'top',
      'below',
      'right',
    ]);
  });

  it('keeps runs at the same height on one line, spaced only where there is a gap', () => {
    expect(
      pageLines([run('Hel', 50, 700), run('lo', 68, 700), run('world', 100, 700.5), run(' x', 200, 700)]),
    ).toEqual(['Hello world x']);
  });

  it('drops empty and blank lines and trailing spaces', () => {
    expect(
      pageLines([
        run('', 0, 0, { hasEOL: true, height: 0 }),
        run('   ', 50, 700, { hasEOL: true }),
        run('text  ', 50, 680, { hasEOL: true }),
      ]),
    ).toEqual(['text']);
  });
});
