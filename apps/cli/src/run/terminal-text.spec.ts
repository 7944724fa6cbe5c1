import { describe, expect, it } from 'vitest';
import { fitWidth, oneLine, stripForTerminal, visibleText } from './terminal-text.js';

describe('terminal text', () => {
  it('strips escape sequences and controls from streamed text but keeps lines and tabs', () => {
    expect(stripForTerminal('a\x1b[31mred\x1b[0m\tb\r\nc')).toBe('ared\tb\nc');
    expect(stripForTerminal('x\x1b]52;c;ZXZpbA==\x07y')).toBe('xy');
    expect(stripForTerminal('x\x1b]0;title\x1b\\y')).toBe('xy');
    expect(stripForTerminal('bell\x07 del\x7f c1\x9b2J')).toBe('bell del c1');
    expect(stripForTerminal('\u202eabc')).toBe('abc');
  });

  it('shows every control as an escape code in text the person must judge', () => {
    expect(visibleText('a\nb\rc\td\x1b[2Ke\u2066')).toBe('a\\nb\\rc\\td\\x1b[2Ke\\u{2066}');
    expect(visibleText('plain /path/ü')).toBe('plain /path/ü');
  });

  it('folds text into one line and cuts it to a width with an ellipsis', () => {
    expect(oneLine('  run_command echo a\n  echo b\t')).toBe('run_command echo a echo b');
    expect(fitWidth('abcdef', 6)).toBe('abcdef');
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    expect(fitWidth('😀😀😀', 2)).toBe('😀…');
  });
});
