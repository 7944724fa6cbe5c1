import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TaskAccess } from '../access/fs-access.js';
import { isInsideStewardHome } from '../containment/path-rules.js';
import { fdPath } from '../containment/safe-open.js';
import { ALWAYS_IGNORED_DIRECTORIES } from '../search/ignore-rules.js';
import { comparePaths } from '../search/path-order.js';
import type { FdHolder } from '../containment/descriptor.js';
import { formatBytes, withOpened } from './opened.js';

/** Entries one listing returns at most; the rest is counted and marked. */
export const MAX_LIST_ENTRIES = 1_000;
/** Entries looked at before a deep listing stops counting. */
const MAX_SCANNED_ENTRIES = 20_000;

type EntryKind = 'file' | 'directory' | 'symlink' | 'other';
interface ListedEntry {
  path: string;
  name: string;
  kind: EntryKind;
  size?: number;
  depth: number;
}

function kindOfDirent(entry: Dirent): EntryKind {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  return 'other';
}

/**
 * list_directory: the folder's entries in name order, each folder followed by what it holds down to
 * `depth`. Links are listed as links and never followed; folders such as .git and node_modules are
 * listed but not expanded; denied paths and Steward's home are left out.
 */
export async function listDirectoryTool(
  access: TaskAccess,
  request: { path: string; depth?: number | undefined },
) {
  const depth = request.depth ?? 1;
  return withOpened(access, request.path, { kind: 'list-dir' }, async (opened) => {
    const entries: ListedEntry[] = [];
    const notExpanded = new Set<string>();
    let seen = 0;
    let stopped = false;
    const root = opened.root;
    const home = access.open.stewardHome;
    const walk = async (
      folder: FdHolder,
      folderPath: string,
      relative: string,
      level: number,
    ): Promise<void> => {
      const children = (await readdir(fdPath(folder), { withFileTypes: true })).sort((a, b) =>
        comparePaths(a.name, b.name),
      );
      for (const child of children) {
        if (stopped) return;
        const childPath = path.posix.join(folderPath, child.name);
        if (home !== undefined && isInsideStewardHome(childPath, home)) continue;
        if (access.denied.match(childPath, root) !== undefined) continue;
        seen += 1;
        if (seen > MAX_SCANNED_ENTRIES) {
          stopped = true;
          return;
        }
        const kind = kindOfDirent(child);
        const name = relative === '' ? child.name : `${relative}/${child.name}`;
        if (entries.length < MAX_LIST_ENTRIES) {
          const entry: ListedEntry = { path: childPath, name, kind, depth: level };
          if (kind === 'file') {
            const stats = await lstat(fdPath(folder, child.name)).catch(() => undefined);
            if (stats !== undefined) entry.size = stats.size;
          }
          entries.push(entry);
        }
        if (kind !== 'directory' || level >= depth) continue;
        if (ALWAYS_IGNORED_DIRECTORIES.has(child.name)) {
          notExpanded.add(childPath);
          continue;
        }
        const sub = await open(
          fdPath(folder, child.name),
          constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
        ).catch(() => undefined);
        // Swapped for a link or removed since it was listed: it is shown, not entered.
        if (sub === undefined) continue;
        try {
          await walk(sub, childPath, name, level + 1);
        } finally {
          await sub.close();
        }
      }
    };
    if (opened.fd === undefined) throw new Error(`${opened.realPath} was opened without a descriptor`);
    await walk(opened.fd, opened.realPath, '', 1);
    const truncated = stopped || seen > entries.length;
    const lines = [`${opened.realPath}/`];
    for (const entry of entries) {
      const indent = '  '.repeat(entry.depth);
      const label = path.posix.basename(entry.name);
      if (entry.kind === 'directory') {
        lines.push(`${indent}${label}/${notExpanded.has(entry.path) ? ' (not expanded)' : ''}`);
      } else if (entry.kind === 'symlink') lines.push(`${indent}${label} (symbolic link)`);
      else if (entry.kind === 'other') lines.push(`${indent}${label} (special file)`);
      else lines.push(`${indent}${label} (${formatBytes(entry.size ?? 0)})`);
    }
    if (entries.length === 0) lines.push('  (empty)');
    if (truncated) {
      lines.push(
        stopped
          ? `(more entries not shown — over ${MAX_SCANNED_ENTRIES} looked at; list a subfolder or use glob)`
          : `(${seen - entries.length} more entries not shown; list a subfolder or use glob)`,
      );
    }
    return {
      path: opened.realPath,
      entries: entries.map((entry) => ({ ...entry })),
      totalEntries: seen,
      truncated,
      output: lines.join('\n'),
    };
  });
}
