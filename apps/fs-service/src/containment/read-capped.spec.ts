import { describe, expect, it } from 'vitest';
import { looksBinary } from './read-capped.js';

const text = (value: string) => new TextEncoder().encode(value);

describe('looksBinary', () => {
  it('takes UTF-8 text, including multi-byte characters, as text', () => {
    expect(looksBinary(text('plain ascii\n'))).toBe(false);
    expect(looksBinary(text('Grüße, 日本語, emoji 🎉\n'))).toBe(false);
    expect(looksBinary(new Uint8Array())).toBe(false);
  });

  it('takes a NUL byte in the first 8 KiB as binary', () => {
    const bytes = text(`${'a'.repeat(8000)}\0rest`);
    expect(looksBinary(bytes)).toBe(true);
  });

  it('takes invalid UTF-8 anywhere as binary', () => {
    const latin1 = Uint8Array.from([0x63, 0x61, 0x66, 0xe9]);
    expect(looksBinary(latin1)).toBe(true);
    const lateInvalid = new Uint8Array(20_000).fill(0x61);
    lateInvalid[19_999] = 0xff;
    expect(looksBinary(lateInvalid)).toBe(true);
  });

  it('ignores a NUL after the first 8 KiB when the bytes are otherwise valid UTF-8', () => {
    const bytes = new Uint8Array(9000).fill(0x61);
    bytes[8500] = 0;
    expect(looksBinary(bytes)).toBe(false);
  });

  it('takes a PNG signature as binary', () => {
    expect(
      looksBinary(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])),
    ).toBe(true);
  });
});
