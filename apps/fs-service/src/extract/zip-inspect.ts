// Office files are zip packages. Before a parser unpacks one, its central directory is read here
// and held against limits (zip bombs declare huge sizes or absurd compression ratios), and in the
// worker every compressed entry is inflated once more into nothing, counting, so an entry that
// unpacks to more than its directory declares is caught without ever holding its output.
import { createInflateRaw } from 'node:zlib';
import { Refusal } from './extract-protocol.js';

export interface ZipLimits {
  readonly maxEntries: number;
  /** The sum of every entry's unpacked size. */
  readonly maxUnpackedBytes: number;
  /** Unpacked size over compressed size, for entries larger than `ratioFromBytes`. */
  readonly maxRatio: number;
  readonly ratioFromBytes: number;
}

/**
 * Office XML compresses 5–20×; a 10 MiB run of one byte compresses about 1000×. Entries smaller
 * than 4 MiB may compress as they like: the total cap already bounds what they can cost.
 */
export const ZIP_LIMITS: ZipLimits = {
  maxEntries: 20_000,
  maxUnpackedBytes: 200 * 1024 * 1024,
  maxRatio: 200,
  ratioFromBytes: 4 * 1024 * 1024,
};

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated: the only methods Office writes. */
  readonly method: number;
  readonly compressedSize: number;
  readonly unpackedSize: number;
  readonly localHeaderOffset: number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_EXTRA = 0x0001;
const MAX_COMMENT = 0xffff;
const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

const damaged = () => new Refusal('NOT_TEXT', 'its zip structure is damaged');

/** Reads the central directory and refuses a package the limits do not allow (throws Refusal). */
export function inspectZip(bytes: Uint8Array, limits: ZipLimits = ZIP_LIMITS): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength >= 8 && OLE_SIGNATURE.every((byte, index) => bytes[index] === byte)) {
    // Password-protected Office files are OLE containers holding the encrypted package.
    throw new Refusal(
      'NOT_TEXT',
      'it is password-protected or an old binary Office file (.doc/.xls/.ppt), not a zip package',
    );
  }
  if (bytes.byteLength < 22 || view.getUint32(0, true) !== LOCAL_HEADER) {
    throw new Refusal('NOT_TEXT', 'it is not a zip package');
  }
  const directory = findDirectory(view);
  if (directory.count > limits.maxEntries) {
    throw new Refusal('TOO_LARGE', `it holds ${directory.count} entries (the limit is ${limits.maxEntries})`);
  }
  const entries = readEntries(view, directory);
  let total = 0;
  for (const entry of entries) {
    total += entry.unpackedSize;
    if (
      entry.unpackedSize > limits.ratioFromBytes &&
      entry.unpackedSize > entry.compressedSize * limits.maxRatio
    ) {
      throw new Refusal(
        'TOO_LARGE',
        `it looks like a zip bomb: "${entry.name}" would unpack from ${formatBytes(entry.compressedSize)} ` +
          `to ${formatBytes(entry.unpackedSize)}`,
      );
    }
  }
  if (total > limits.maxUnpackedBytes) {
    throw new Refusal(
      'TOO_LARGE',
      `it would unpack to ${formatBytes(total)} (the limit is ${formatBytes(limits.maxUnpackedBytes)})`,
    );
  }
  return entries;
}

interface Directory {
  readonly count: number;
  readonly offset: number;
  readonly size: number;
}

function findDirectory(view: DataView): Directory {
  const lowest = Math.max(0, view.byteLength - 22 - MAX_COMMENT);
  for (let at = view.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) !== END_OF_DIRECTORY) continue;
    if (view.getUint16(at + 4, true) !== 0 || view.getUint16(at + 6, true) !== 0) {
      throw new Refusal('NOT_TEXT', 'it is one part of a multi-part zip');
    }
    const count = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 12, true);
    const offset = view.getUint32(at + 16, true);
    const directory =
      count === 0xffff || size === 0xffffffff || offset === 0xffffffff
        ? findZip64Directory(view, at)
        : { count, size, offset };
    if (directory.offset + directory.size > at) throw damaged();
    return directory;
  }
  throw new Refusal('NOT_TEXT', 'it is not a complete zip package (no central directory)');
}

function findZip64Directory(view: DataView, endOfDirectory: number): Directory {
  const locator = endOfDirectory - 20;
  if (locator < 0 || view.getUint32(locator, true) !== ZIP64_END_LOCATOR) throw damaged();
  const at = safeNumber(view.getBigUint64(locator + 8, true));
  if (at + 56 > locator || view.getUint32(at, true) !== ZIP64_END_OF_DIRECTORY) throw damaged();
  return {
    count: safeNumber(view.getBigUint64(at + 32, true)),
    size: safeNumber(view.getBigUint64(at + 40, true)),
    offset: safeNumber(view.getBigUint64(at + 48, true)),
  };
}

function readEntries(view: DataView, directory: Directory): ZipEntry[] {
  const names = new TextDecoder('utf-8');
  const end = directory.offset + directory.size;
  const entries: ZipEntry[] = [];
  let at = directory.offset;
  for (let index = 0; index < directory.count; index++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL_HEADER) throw damaged();
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > end) throw damaged();
    const name = names.decode(new Uint8Array(view.buffer, view.byteOffset + at + 46, nameLength));
    const sizes = withZip64Sizes(
      view,
      at + 46 + nameLength,
      extraLength,
      view.getUint32(at + 24, true),
      view.getUint32(at + 20, true),
      view.getUint32(at + 42, true),
    );
    if ((flags & 1) !== 0) throw new Refusal('NOT_TEXT', 'it is password-protected');
    if (method !== 0 && method !== 8) {
      throw new Refusal(
        'NOT_TEXT',
        `"${name}" inside it uses a compression method (${method}) Office files do not use`,
      );
    }
    if (method === 0 && sizes.unpackedSize !== sizes.compressedSize) throw damaged();
    if (sizes.localHeaderOffset + 30 > directory.offset) throw damaged();
    entries.push({ name, method, ...sizes });
    at = next;
  }
  return entries;
}

type EntrySizes = Pick<ZipEntry, 'unpackedSize' | 'compressedSize' | 'localHeaderOffset'>;

/** Sizes of 0xffffffff mean "in the zip64 extra field", in this order, each only if so marked. */
function withZip64Sizes(
  view: DataView,
  extraStart: number,
  extraLength: number,
  unpackedSize: number,
  compressedSize: number,
  localHeaderOffset: number,
): EntrySizes {
  const sizes = { unpackedSize, compressedSize, localHeaderOffset };
  const marked = (Object.keys(sizes) as (keyof EntrySizes)[]).filter((key) => sizes[key] === 0xffffffff);
  if (marked.length === 0) return sizes;
  for (let at = extraStart; at + 4 <= extraStart + extraLength;) {
    const id = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA) {
      if (length < marked.length * 8 || at + 4 + length > extraStart + extraLength) throw damaged();
      marked.forEach((key, index) => {
        sizes[key] = safeNumber(view.getBigUint64(at + 4 + index * 8, true));
      });
      return sizes;
    }
    at += 4 + length;
  }
  throw damaged();
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged();
  return Number(value);
}

/**
 * Inflates every deflated entry without keeping its output and refuses the package when one
 * unpacks to more than the directory declares: the declared sizes are what the limits checked.
 */
export async function verifyUnpackedSizes(bytes: Uint8Array, entries: readonly ZipEntry[]): Promise<void> {
  for (const entry of entries) {
    if (entry.method !== 8) continue;
    const data = entryData(bytes, entry);
    let within: boolean;
    try {
      within = await inflatesWithin(data, entry.unpackedSize);
    } catch {
      throw new Refusal('NOT_TEXT', `"${entry.name}" inside it is damaged`);
    }
    if (!within) {
      throw new Refusal(
        'TOO_LARGE',
        `it looks like a zip bomb: "${entry.name}" unpacks to more than the ` +
          `${formatBytes(entry.unpackedSize)} its directory declares`,
      );
    }
  }
}

/** An entry's data as stored (compressed when `method` is 8), found through its local header. */
export function entryData(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.byteLength || view.getUint32(at, true) !== LOCAL_HEADER) throw damaged();
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + entry.compressedSize > bytes.byteLength) throw damaged();
  return bytes.subarray(start, start + entry.compressedSize);
}

function inflatesWithin(data: Uint8Array, limit: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ chunkSize: 64 * 1024 });
    let total = 0;
    let over = false;
    inflater.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit && !over) {
        over = true;
        inflater.destroy();
        resolve(false);
      }
    });
    inflater.on('end', () => resolve(true));
    inflater.on('error', (error) => {
      if (!over) reject(error);
    });
    inflater.end(data);
  });
}

export function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes >= MiB) return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}
