import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { Refusal } from './extract-protocol.js';
import { inspectZip, verifyUnpackedSizes, ZIP_LIMITS, type ZipLimits } from './zip-inspect.js';

async function zipOf(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const zip = new JSZip();
  for (const [name, data] of Object.entries(files)) zip.file(name, data, { createFolders: false });
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}

/** Offsets of the central directory headers, in order. */
function centralHeaders(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength - 22;
  const count = view.getUint16(end + 10, true);
  const offsets: number[] = [];
  let at = view.getUint32(end + 16, true);
  for (let index = 0; index < count; index++) {
    offsets.push(at);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return offsets;
}

function patch(bytes: Uint8Array, offset: number, value: number, size: 2 | 4): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (size === 2) view.setUint16(offset, value, true);
  else view.setUint32(offset, value, true);
  return copy;
}

function refusal(run: () => unknown): Refusal {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(Refusal);
    return error as Refusal;
  }
  throw new Error('expected a refusal');
}

async function refusalOf(promise: Promise<unknown>): Promise<Refusal> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Refusal);
  return error as Refusal;
}

/** One stored entry "a.txt" = "hello", every size and offset in zip64 records. */
function zip64(): Uint8Array {
  const name = Buffer.from('a.txt');
  const data = Buffer.from('hello');
  const local = Buffer.alloc(30 + name.length + 20);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(45, 4);
  local.writeUInt32LE(0xffffffff, 18);
  local.writeUInt32LE(0xffffffff, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(20, 28);
  name.copy(local, 30);
  local.writeUInt16LE(1, 30 + name.length);
  local.writeUInt16LE(16, 32 + name.length);
  local.writeBigUInt64LE(5n, 34 + name.length);
  local.writeBigUInt64LE(5n, 42 + name.length);
  const central = Buffer.alloc(46 + name.length + 28);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(45, 4);
  central.writeUInt16LE(45, 6);
  central.writeUInt32LE(0xffffffff, 20);
  central.writeUInt32LE(0xffffffff, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt16LE(28, 30);
  central.writeUInt32LE(0xffffffff, 42);
  name.copy(central, 46);
  central.writeUInt16LE(1, 46 + name.length);
  central.writeUInt16LE(24, 48 + name.length);
  central.writeBigUInt64LE(5n, 50 + name.length);
  central.writeBigUInt64LE(5n, 58 + name.length);
  central.writeBigUInt64LE(0n, 66 + name.length);
  const directoryOffset = local.length + data.length;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeBigUInt64LE(1n, 24);
  record.writeBigUInt64LE(1n, 32);
  record.writeBigUInt64LE(BigInt(central.length), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(directoryOffset + central.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return new Uint8Array(Buffer.concat([local, data, central, record, locator, end]));
}

describe('zip inspection', () => {
  it('lists every entry with its method and declared sizes', async () => {
    const bytes = await zipOf({ 'word/document.xml': 'x'.repeat(1000), 'a.txt': 'hi' });
    const entries = inspectZip(bytes);
    expect(entries.map(({ name, method, unpackedSize }) => ({ name, method, unpackedSize }))).toEqual([
      { name: 'word/document.xml', method: 8, unpackedSize: 1000 },
      { name: 'a.txt', method: 8, unpackedSize: 2 },
    ]);
    expect(entries[0]?.compressedSize).toBeLessThan(100);
  });

  it('reads sizes and offsets from zip64 records', () => {
    expect(inspectZip(zip64())).toEqual([
      { name: 'a.txt', method: 0, compressedSize: 5, unpackedSize: 5, localHeaderOffset: 0 },
    ]);
  });

  it('refuses what is no zip package as NOT_TEXT', async () => {
    expect(
      refusal(() => inspectZip(new TextEncoder().encode('plain text, long enough to be a zip'))),
    ).toMatchObject({ code: 'NOT_TEXT', reason: 'it is not a zip package' });
    const ole = new Uint8Array(512);
    ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    expect(refusal(() => inspectZip(ole)).reason).toMatch(/password-protected or an old binary Office file/);
    const whole = await zipOf({ 'a.txt': 'hello' });
    expect(refusal(() => inspectZip(whole.subarray(0, whole.byteLength - 30)))).toMatchObject({
      code: 'NOT_TEXT',
      reason: expect.stringMatching(/no central directory|damaged/),
    });
  });

  it('refuses encrypted entries and compression methods Office does not use', async () => {
    const bytes = await zipOf({ 'a.txt': 'hello' });
    const [header = 0] = centralHeaders(bytes);
    expect(refusal(() => inspectZip(patch(bytes, header + 8, 1, 2)))).toMatchObject({
      code: 'NOT_TEXT',
      reason: 'it is password-protected',
    });
    expect(refusal(() => inspectZip(patch(bytes, header + 10, 12, 2))).reason).toMatch(
      /compression method \(12\)/,
    );
  });

  it('refuses a package with more entries than the limit', async () => {
    const limits: ZipLimits = { ...ZIP_LIMITS, maxEntries: 2 };
    const bytes = await zipOf({ a: '1', b: '2', c: '3' });
    expect(refusal(() => inspectZip(bytes, limits))).toMatchObject({
      code: 'TOO_LARGE',
      reason: 'it holds 3 entries (the limit is 2)',
    });
  });

  it('refuses a package whose declared sizes add up past the limit', async () => {
    const bytes = await zipOf({ a: 'a'.repeat(600), b: 'b'.repeat(600) });
    expect(inspectZip(bytes, { ...ZIP_LIMITS, maxUnpackedBytes: 1200 })).toHaveLength(2);
    expect(refusal(() => inspectZip(bytes, { ...ZIP_LIMITS, maxUnpackedBytes: 1199 }))).toMatchObject({
      code: 'TOO_LARGE',
      reason: 'it would unpack to 1.2 KiB (the limit is 1.2 KiB)',
    });
  });

  it('refuses a large entry with an absurd compression ratio as a zip bomb', async () => {
    const bytes = await zipOf({ 'word/document.xml': new Uint8Array(5 * 1024 * 1024) });
    expect(refusal(() => inspectZip(bytes))).toMatchObject({
      code: 'TOO_LARGE',
      reason: expect.stringMatching(
        /^it looks like a zip bomb: "word\/document.xml" would unpack from .* to 5 MiB$/,
      ),
    });
    const small = await zipOf({ 'zeros.bin': new Uint8Array(1024 * 1024) });
    expect(inspectZip(small)).toHaveLength(1);
  });

  it('refuses a declared size of hundreds of MiB before anything is unpacked', async () => {
    const bytes = await zipOf({ 'a.txt': 'hello' });
    const [header = 0] = centralHeaders(bytes);
    expect(refusal(() => inspectZip(patch(bytes, header + 24, 300 * 1024 * 1024, 4))).code).toBe('TOO_LARGE');
  });
});

describe('unpacked size verification', () => {
  it('accepts entries that unpack to what they declare', async () => {
    const bytes = await zipOf({ a: 'a'.repeat(100_000), b: 'hello' });
    await expect(verifyUnpackedSizes(bytes, inspectZip(bytes))).resolves.toBeUndefined();
  });

  it('refuses an entry that unpacks to more than it declares as a zip bomb', async () => {
    const honest = await zipOf({ 'xl/worksheets/sheet1.xml': new Uint8Array(2 * 1024 * 1024) });
    const [header = 0] = centralHeaders(honest);
    const lying = patch(honest, header + 24, 1024, 4);
    expect(await refusalOf(verifyUnpackedSizes(lying, inspectZip(lying)))).toMatchObject({
      code: 'TOO_LARGE',
      reason:
        'it looks like a zip bomb: "xl/worksheets/sheet1.xml" unpacks to more than the 1 KiB its directory declares',
    });
  });

  it('refuses an entry whose compressed data is damaged as NOT_TEXT', async () => {
    const bytes = (await zipOf({ 'a.txt': 'some text that deflates' })).slice();
    const [entry] = inspectZip(bytes);
    const start = 30 + 'a.txt'.length;
    bytes.fill(0xff, start, start + (entry?.compressedSize ?? 0));
    expect(await refusalOf(verifyUnpackedSizes(bytes, inspectZip(bytes)))).toMatchObject({
      code: 'NOT_TEXT',
      reason: '"a.txt" inside it is damaged',
    });
  });
});
