import { isUtf8 } from 'node:buffer';
import { StewardError } from '@steward/contracts';
import { toStewardError } from './fs-errors.js';
import type { OpenedPath } from './safe-open.js';

/** How much of a file `looksBinary` scans for a NUL byte, as git and ripgrep do. */
export const BINARY_SNIFF_BYTES = 8192;
const MAX_CHUNK_BYTES = 1024 * 1024;

export interface ReadCappedOptions {
  readonly maxBytes: number;
}

/**
 * Reads the whole file `opened` holds, refusing one larger than `maxBytes` before reading anything,
 * and stopping at the cap if the file grows while it is read (or lies about its size, as /proc and
 * some FUSE files do). Memory stays within `maxBytes` plus one chunk.
 */
export async function readCapped(opened: OpenedPath, options: ReadCappedOptions): Promise<Uint8Array> {
  const { maxBytes } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new StewardError('INTERNAL', `readCapped needs a non-negative integer cap, not ${maxBytes}`);
  }
  const handle = opened.fd;
  if (handle === undefined || opened.stats?.isFile() !== true) {
    throw new StewardError(
      'INVALID_INPUT',
      `${opened.realPath} is not a regular file that could be opened for reading`,
    );
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) {
      throw new StewardError(
        'TOO_LARGE',
        `${opened.realPath} is ${size} bytes; the limit is ${maxBytes} bytes`,
        {
          details: { size, maxBytes },
        },
      );
    }
    const chunkBytes = Math.min(Math.max(size + 1, 4096), MAX_CHUNK_BYTES, maxBytes + 1);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      // Positional reads: the descriptor's offset is whatever an earlier user left it at.
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) {
        throw new StewardError(
          'TOO_LARGE',
          `${opened.realPath} grew past the limit of ${maxBytes} bytes while being read`,
          {
            details: { maxBytes },
          },
        );
      }
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    throw toStewardError(error, opened.realPath);
  }
}

/** Whether bytes are not text we can show: a NUL in the first 8 KiB, or not valid UTF-8. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0) || !isUtf8(bytes);
}
