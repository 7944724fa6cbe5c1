import {
  FILE_FETCH_MAX_CHUNK_BYTES,
  StewardError,
  type fsFileFetch,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import type { Stats } from 'node:fs';
import type { TaskAccess } from '../access/fs-access.js';
import { toStewardError } from '../containment/fs-errors.js';
import { withOpened } from './opened.js';

type FetchRequest = RpcRequest<typeof fsFileFetch>;
type FetchResult = RpcResponse<typeof fsFileFetch>;

/** Names one state of a file: it changes when the file is replaced, grows, shrinks or is written. */
function versionOf(stats: Stats): string {
  return `${stats.dev.toString(36)}.${stats.ino.toString(36)}.${stats.size.toString(36)}.${Math.round(stats.mtimeMs * 1000).toString(36)}`;
}

/**
 * One chunk of a file's raw bytes, opened through the task's containment like read_file: inside its
 * folders, no link leading out, no denied path, a regular file only. The descriptor read is the one
 * the walk verified, so a path swapped for a link after the check changes nothing.
 */
export async function fetchFileChunk(access: TaskAccess, request: FetchRequest): Promise<FetchResult> {
  return withOpened(access, request.path, { kind: 'read-file' }, async (opened) => {
    const handle = opened.fd;
    if (handle === undefined) {
      throw new StewardError('FORBIDDEN', `the operating system denies Steward access to ${request.path}`);
    }
    try {
      const stats = await handle.stat();
      const version = versionOf(stats);
      if (request.version !== undefined && request.version !== version) {
        throw new StewardError(
          'CONFLICT',
          `${request.path} changed while it was being read; fetch it again`,
          {
            details: { version },
          },
        );
      }
      const offset = Math.min(request.offset ?? 0, stats.size);
      const wanted = Math.min(request.length ?? FILE_FETCH_MAX_CHUNK_BYTES, stats.size - offset);
      const buffer = Buffer.allocUnsafe(wanted);
      let filled = 0;
      // Positional reads until the chunk is full or the file ends (it may have shrunk meanwhile).
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled < wanted) {
        throw new StewardError('CONFLICT', `${request.path} shrank while it was being read; fetch it again`);
      }
      return {
        path: opened.realPath,
        size: stats.size,
        modifiedAt: stats.mtime.toISOString(),
        version,
        offset,
        bytes: filled,
        data: buffer.subarray(0, filled).toString('base64'),
        eof: offset + filled >= stats.size,
      };
    } catch (error) {
      throw toStewardError(error, request.path);
    }
  });
}
