/**
 * The bus's body encoding: JSON, except that long strings travel outside the JSON text.
 *
 * Turning a 64 KiB string into JSON and back costs far more than moving its bytes (escape scan,
 * UTF-8 re-encoding, parse), and it was the whole of the library's overhead over a bare request
 * at that size. A body with any string of at least BLOB_MIN_CHARS characters is framed:
 *
 *   0x00 'S' 0x01 | u32 BE length of the head | head: JSON {"v": skeleton, "b": [byte lengths]} | blob 0 | blob 1 …
 *
 * where each long string in the skeleton is replaced by "\u0000<index>", and a short string that
 * itself starts with "\u0000" is escaped with one more. Everything else is plain JSON, so small
 * messages, tools and tests that speak JSON to the bus keep working; a framed body can never be
 * mistaken for JSON, whose text cannot start with a NUL byte.
 */
export const BLOB_MIN_CHARS = 4096;

const MAGIC = [0x00, 0x53, 0x01] as const;
const HEADER_BYTES = MAGIC.length + 4;
const MARK = '\u0000';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class MalformedBodyError extends Error {
  override readonly name = 'MalformedBodyError';
}

export function encodeBody(value: unknown): Uint8Array {
  if (!hasLongString(value, 0)) return encoder.encode(JSON.stringify(value) ?? 'null');
  const blobs: string[] = [];
  const skeleton = extract(value, blobs);
  const lengths = blobs.map((blob) => Buffer.byteLength(blob, 'utf8'));
  const head = JSON.stringify({ v: skeleton, b: lengths });
  const headLength = Buffer.byteLength(head, 'utf8');
  const size = HEADER_BYTES + headLength + lengths.reduce((sum, n) => sum + n, 0);
  // One allocation, each string written straight into place: no intermediate copies.
  const frame = Buffer.allocUnsafe(size);
  frame.set(MAGIC, 0);
  frame.writeUInt32BE(headLength, MAGIC.length);
  let offset = HEADER_BYTES + frame.write(head, HEADER_BYTES, 'utf8');
  blobs.forEach((blob) => {
    offset += frame.write(blob, offset, 'utf8');
  });
  return frame;
}

/** `undefined` for an empty body; throws MalformedBodyError (or SyntaxError for bad JSON). */
export function decodeBody(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined;
  if (!isFramed(bytes)) return JSON.parse(decoder.decode(bytes));
  if (bytes.byteLength < HEADER_BYTES) throw new MalformedBodyError('framed body is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLength = view.getUint32(MAGIC.length);
  const headEnd = HEADER_BYTES + headLength;
  if (headEnd > bytes.byteLength) throw new MalformedBodyError('framed body is shorter than its head');
  const head = JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, headEnd))) as {
    v?: unknown;
    b?: unknown;
  };
  if (!Array.isArray(head.b) || !head.b.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
    throw new MalformedBodyError('framed body has no valid blob lengths');
  }
  const blobs: string[] = [];
  let offset = headEnd;
  for (const length of head.b as number[]) {
    if (offset + length > bytes.byteLength)
      throw new MalformedBodyError('framed body is shorter than its blobs');
    blobs.push(decoder.decode(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  if (offset !== bytes.byteLength) throw new MalformedBodyError('framed body has trailing bytes');
  return restore(head.v, blobs);
}

function isFramed(bytes: Uint8Array): boolean {
  return bytes[0] === MAGIC[0] && bytes[1] === MAGIC[1] && bytes[2] === MAGIC[2];
}

const MAX_DEPTH = 64;

/** A scan that allocates nothing, so the common small message pays almost nothing for framing. */
function hasLongString(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.length >= BLOB_MIN_CHARS;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.some((item) => hasLongString(item, depth + 1));
  for (const key in value) {
    if (hasLongString((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

function extract(value: unknown, blobs: string[]): unknown {
  if (typeof value === 'string') {
    if (value.length >= BLOB_MIN_CHARS) {
      blobs.push(value);
      return `${MARK}${blobs.length - 1}`;
    }
    return value.startsWith(MARK) ? `${MARK}${value}` : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return extract(json.call(value), blobs);
  if (Array.isArray(value)) return value.map((item) => extract(item, blobs));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = extract(item, blobs);
  return out;
}

function restore(value: unknown, blobs: readonly string[]): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(MARK)) return value;
    if (value.startsWith(MARK, 1)) return value.slice(1);
    const blob = blobs[Number(value.slice(1))];
    if (blob === undefined)
      throw new MalformedBodyError(`framed body refers to a missing blob ${value.slice(1)}`);
    return blob;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => restore(item, blobs));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = restore(item, blobs);
  return out;
}
