// The read benchmark reads one small file of the grep benchmark's tree of 50,000 files (shared and
// cached, so it is generated once for both): always the same file, picked by name and size.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGrepTree, type GrepTree } from './grep-tree.js';

/** A text file of everyday size: a short note or a page of a report. */
const SMALL_FILE = { folder: 'area-0', pattern: /^doc-\d+\.txt$/, minBytes: 1_024, maxBytes: 4_096 };

export interface SmallFile {
  readonly path: string;
  readonly text: string;
  readonly bytes: number;
  readonly lines: number;
}

export interface ReadTree {
  readonly tree: GrepTree;
  readonly file: SmallFile;
}

/** The first file by name in a top-level folder of the tree that is plain text within the size range. */
function pickSmallFile(root: string): SmallFile {
  const folder = join(root, SMALL_FILE.folder);
  const names = readdirSync(folder)
    .filter((name) => SMALL_FILE.pattern.test(name))
    .sort();
  for (const name of names) {
    const path = join(folder, name);
    const { size } = statSync(path);
    if (size < SMALL_FILE.minBytes || size > SMALL_FILE.maxBytes) continue;
    const text = readFileSync(path, 'utf8');
    const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
    return { path, text, bytes: size, lines };
  }
  throw new Error(
    `no ${SMALL_FILE.pattern.source} of ${SMALL_FILE.minBytes}–${SMALL_FILE.maxBytes} bytes in ${folder}`,
  );
}

export function ensureReadTree(): ReadTree {
  const tree = ensureGrepTree();
  return { tree, file: pickSmallFile(tree.root) };
}
