import { describe, expect, it } from 'vitest';
import { BLOB_MIN_CHARS, decodeBody, encodeBody, MalformedBodyError } from './body-codec.js';

const long = (char: string, n = BLOB_MIN_CHARS) => char.repeat(n);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('bus body encoding', () => {
  it('small bodies are plain JSON, readable by any NATS tool', () => {
    const body = { folders: ['/tmp'], n: 1, ok: true, none: null };
    expect(text(encodeBody(body))).toBe(JSON.stringify(body));
    expect(decodeBody(encodeBody(body))).toEqual(body);
  });

  it('plain JSON from outside is accepted as it is', () => {
    expect(decodeBody(new TextEncoder().encode('{"a":[1,"b"]}'))).toEqual({ a: [1, 'b'] });
  });

  it('long strings travel outside the JSON and come back equal, wherever they sit', () => {
    const body = {
      content: long('a'),
      nested: { list: ['short', long('é', BLOB_MIN_CHARS + 7), { deep: long('🙂') }] },
      n: 3,
    };
    const encoded = encodeBody(body);
    expect(encoded[0]).toBe(0);
    expect(text(encoded)).not.toContain('"content":"aaaa');
    expect(decodeBody(encoded)).toEqual(body);
  });

  it('a short string that starts with NUL survives framing unchanged', () => {
    const body = { big: long('x'), tricky: '\u00000', trickier: '\u0000\u0000zz', plain: '0' };
    expect(decodeBody(encodeBody(body))).toEqual(body);
  });

  it('undefined and toJSON behave as in JSON', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    const body = { big: long('y'), when, gone: undefined };
    expect(decodeBody(encodeBody(body))).toEqual({ big: long('y'), when: when.toISOString() });
    expect(text(encodeBody(undefined))).toBe('null');
  });

  it('an empty body decodes to undefined', () => {
    expect(decodeBody(new Uint8Array())).toBeUndefined();
  });

  it.each([
    ['a truncated header', new Uint8Array([0, 0x53, 1, 0])],
    ['a head longer than the body', new Uint8Array([0, 0x53, 1, 0, 0, 1, 0, 123])],
  ])('a framed body with %s is refused with a typed error', (_label, bytes) => {
    expect(() => decodeBody(bytes)).toThrow(MalformedBodyError);
  });

  it('blob lengths that do not add up, or a marker with no blob, are refused', () => {
    const good = encodeBody({ big: long('z') });
    expect(() => decodeBody(good.subarray(0, good.byteLength - 1))).toThrow(MalformedBodyError);
    const extra = new Uint8Array(good.byteLength + 1);
    extra.set(good);
    expect(() => decodeBody(extra)).toThrow(MalformedBodyError);
    const head = new TextEncoder().encode(JSON.stringify({ v: { big: '\u00007' }, b: [] }));
    const forged = new Uint8Array(7 + head.byteLength);
    forged.set([0, 0x53, 1], 0);
    new DataView(forged.buffer).setUint32(3, head.byteLength);
    forged.set(head, 7);
    expect(() => decodeBody(forged)).toThrow(MalformedBodyError);
  });

  it('invalid UTF-8 is refused, not replaced', () => {
    expect(() => decodeBody(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow();
  });
});
