import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FdHolder } from '../containment/descriptor.js';
import { fdPath } from '../containment/safe-open.js';
import { hashHandle } from '../journal/blob-store.js';

/** sha256 of the regular file `name` in the folder `parent`, opened without following a link. */
export async function hashHandleAt(parent: FdHolder, name: string): Promise<string> {
  const handle = await open(
    fdPath(parent, name),
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  );
  try {
    return await hashHandle(handle);
  } finally {
    await handle.close();
  }
}
