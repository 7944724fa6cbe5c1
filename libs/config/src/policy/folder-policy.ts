import path from 'node:path';
import { policyValue, type EffectivePolicy } from './effective-policy.js';

/**
 * Whether `child` is `parent` or below it, compared by whole path segments (`/a/work` does not hold
 * `/a/work-secrets`). Both are absolute; anything climbing out with `..` is "not within" (and, erring
 * closed, so is a name that only starts with two dots).
 */
export function isPathWithin(parent: string, child: string): boolean {
  const relative = path.posix.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.posix.isAbsolute(relative));
}

/**
 * Whether managed policy's `folders.allowed` lets a person connect `realFolder` (a real path):
 * `null` allows any folder; otherwise it must lie within one of the listed prefixes.
 */
export function folderAllowedByPolicy(policy: EffectivePolicy, realFolder: string): boolean {
  const allowed = policyValue(policy, 'folders.allowed');
  return allowed === null || allowed.some((prefix) => isPathWithin(path.resolve(prefix), realFolder));
}
