import { lstatSync, realpathSync } from 'node:fs';
import { StewardError } from '@steward/contracts';
import { isWithin, validateRequestedPath } from './path-rules.js';

/**
 * The folders one task may touch, as real paths. Built once per request from the task's connected
 * folders; every containment decision compares against these.
 */
export class TaskRoots {
  readonly roots: readonly string[];

  constructor(rootRealPaths: readonly string[]) {
    const unique = [...new Set(rootRealPaths.map(checkRoot))];
    for (const outer of unique) {
      const nested = unique.find((inner) => inner !== outer && isWithin(outer, inner));
      if (nested !== undefined) {
        throw new StewardError(
          'INVALID_INPUT',
          `connected folder ${nested} is inside connected folder ${outer}`,
        );
      }
    }
    this.roots = Object.freeze(unique);
  }

  /** The root that contains `realPath` (segment-wise), if any. Roots never nest, so there is at most one. */
  rootOf(realPath: string): string | undefined {
    return this.roots.find((root) => isWithin(root, realPath));
  }
}

function checkRoot(root: string): string {
  if (typeof root !== 'string' || !root.startsWith('/')) {
    throw new StewardError('INVALID_INPUT', `connected folder ${String(root)} is not an absolute path`);
  }
  const normalized = validateRequestedPath(root);
  if (normalized !== root) {
    throw new StewardError(
      'INVALID_INPUT',
      `connected folder ${root} is not normalized (expected ${normalized})`,
    );
  }
  let isDirectory: boolean;
  let real: string;
  try {
    isDirectory = lstatSync(root).isDirectory();
    real = realpathSync(root);
  } catch (error) {
    throw new StewardError('NOT_FOUND', `connected folder ${root} does not exist or cannot be reached`, {
      cause: error,
    });
  }
  // A symlinked root would make every later comparison against the link's path, not what it reaches.
  if (real !== root) {
    throw new StewardError(
      'INVALID_INPUT',
      `connected folder ${root} is not a real path (it resolves to ${real})`,
    );
  }
  if (!isDirectory) throw new StewardError('INVALID_INPUT', `connected folder ${root} is not a folder`);
  return root;
}
