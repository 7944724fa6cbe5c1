import { describe, expect, it } from 'vitest';
import { capturedText, cleanText } from './output-text.js';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

describe('cleanText', () => {
  it('removes colour codes, cursor movement, titles and other control characters, keeping tabs and newlines', () => {
    const raw = '\u001b[31mred\u001b[0m\tok\n\u001b]0;title\u0007\u001b[2Jdone\u0000\u0007\r\n';
    expect(cleanText(Buffer.from(raw))).toBe('red\tok\ndone\n');
  });

  it('turns carriage-return progress lines into lines and invalid UTF-8 into replacement characters', () => {
    expect(cleanText(Buffer.from('10%\r50%\r100%\n'))).toBe('10%\n50%\n100%\n');
    expect(cleanText(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\ufffdb');
  });
});

describe('capturedText', () => {
  it('joins head and tail when nothing was left out', () => {
    expect(capturedText({ head: b64('abc'), tail: '', total: 3 })).toEqual({
      text: 'abc',
      bytes: 3,
      truncated: false,
    });
  });

  it('marks how many bytes were left out between head and tail', () => {
    const result = capturedText({ head: b64('start'), tail: b64('end'), total: 1_000 });
    expect(result).toEqual({
      text: 'start\n… [992 bytes of output left out] …\nend',
      bytes: 1_000,
      truncated: true,
    });
  });
});
