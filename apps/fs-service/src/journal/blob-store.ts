import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ReadableFd } from '../containment/descriptor.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY, O_NOFOLLOW } = constants;
const CHUNK_BYTES = 1024 * 1024;

export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
}

/**
 * Content-addressed copies of what tasks replaced, in fs-service's own data folder (0700, files
 * 0600): the same bytes replaced twice are kept once. Only fs-service reads them, to undo.
 */
export class BlobStore {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Copies what `handle` holds (from offset 0) into the store. */
  async storeFrom(handle: ReadableFd): Promise<StoredBlob> {
    return this.storeWith(async (sink, hash) => {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      let position = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
        if (bytesRead === 0) return position;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await sink.write(chunk);
        position += bytesRead;
      }
    });
  }

  async storeBytes(bytes: Uint8Array): Promise<StoredBlob> {
    return this.storeWith(async (sink, hash) => {
      hash.update(bytes);
      await sink.write(bytes);
      return bytes.byteLength;
    });
  }

  /** Where a stored blob is; open it with O_NOFOLLOW. */
  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a blob name: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  async open(sha256: string): Promise<FileHandle> {
    return open(this.pathOf(sha256), O_RDONLY | O_NOFOLLOW);
  }

  /** Removes blobs no journal entry refers to any more. */
  async prune(referenced: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const shard of await readdir(this.dir).catch(() => [] as string[])) {
      const shardDir = path.join(this.dir, shard);
      for (const name of await readdir(shardDir).catch(() => [] as string[])) {
        if (referenced.has(name)) continue;
        await unlink(path.join(shardDir, name)).catch(() => undefined);
        removed += 1;
      }
    }
    return removed;
  }

  private async storeWith(
    fill: (sink: FileHandle, hash: ReturnType<typeof createHash>) => Promise<number>,
  ): Promise<StoredBlob> {
    const temp = path.join(this.dir, `.incoming-${randomBytes(8).toString('hex')}`);
    const sink = await open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    let kept = false;
    try {
      const hash = createHash('sha256');
      const size = await fill(sink, hash);
      await sink.sync();
      await sink.close();
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      await mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
      await rename(temp, final);
      kept = true;
      return { sha256, size };
    } finally {
      await sink.close().catch(() => undefined);
      if (!kept) await unlink(temp).catch(() => undefined);
    }
  }
}

/** sha256 of what `handle` holds, read positionally from offset 0. */
export async function hashHandle(handle: ReadableFd): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) return hash.digest('hex');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
