import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StewardError } from '@steward/contracts';

/**
 * Removes `root` and everything below it, depth first. Symlinks are removed as links, never
 * followed: a root file system holds absolute ones (`/lib`, `/etc/alternatives/*`) that name the
 * host's files. A folder on another device (something mounted inside) stops the removal rather
 * than be emptied; callers check the mount table first, this is the last guard.
 */
export function removeTree(root: string): void {
  const top = lstatSync(root);
  if (!top.isDirectory())
    throw new StewardError('INVALID_INPUT', `${root} is not a folder; refusing to remove it as a tree`, {
      details: { path: root },
    });
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // Dirent types come from lstat semantics: a symlink to a folder is a symlink here.
      if (entry.isDirectory()) {
        if (lstatSync(path).dev !== top.dev)
          throw new StewardError(
            'FORBIDDEN',
            `${path} is another file system mounted inside ${root}; unmount it, then prune again`,
            { details: { path } },
          );
        visit(path);
        rmdirSync(path);
      } else {
        unlinkSync(path);
      }
    }
  };
  visit(root);
  rmdirSync(root);
}
