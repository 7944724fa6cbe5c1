// The folder tree the grep benchmark searches: 50,000 files, generated from a fixed seed so every
// run (and every machine) searches the same bytes, and cached under the system temp folder keyed
// by GREP_TREE_VERSION. Change the version whenever the generator changes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GREP_TREE_VERSION = 1;
export const GREP_TREE_FILES = 50_000;

/** Inserted into about one line in 4,000: a handful of hits in a large tree. */
export const RARE_WORD = 'zebracorn';
/** A vocabulary word drawn often: hundreds of thousands of matching lines. */
export const COMMON_WORD = 'invoice';

export interface GrepTree {
  readonly root: string;
  readonly files: number;
  readonly bytes: number;
  /** How the tree is made up, for the benchmark's output. */
  readonly composition: Readonly<Record<string, number>>;
  /** Set when this call generated the tree (it was not cached). */
  readonly generatedMs?: number;
}

interface Manifest {
  readonly version: number;
  readonly files: number;
  readonly bytes: number;
  readonly composition: Record<string, number>;
}

const WORDS = (
  'the of and to in is for on with as by at from that this be are was report total amount customer ' +
  'order payment date number account balance meeting project budget review status update quarter ' +
  'revenue cost margin forecast team plan draft final approved pending note summary client supplier ' +
  'contract renewal period region sales growth target actual variance schedule task owner due ' +
  'delivery shipment product price discount tax net gross annual monthly weekly daily hours rate'
).split(' ');

/** A small, fast, seedable generator (mulberry32): the same sequence everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class TreeWriter {
  files = 0;
  bytes = 0;
  readonly composition: Record<string, number> = {};
  private readonly madeFolders = new Set<string>();

  constructor(readonly root: string) {}

  write(kind: string, relative: string, content: string | Buffer): void {
    const path = join(this.root, relative);
    const folder = path.slice(0, path.lastIndexOf('/'));
    if (!this.madeFolders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.madeFolders.add(folder);
    }
    writeFileSync(path, content);
    this.files++;
    this.bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.length;
    this.composition[kind] = (this.composition[kind] ?? 0) + 1;
  }
}

function textContent(next: () => number, minBytes: number, maxBytes: number): string {
  // Sizes spread evenly on a log scale: many small files, some of a few KiB.
  const target = Math.round(minBytes * (maxBytes / minBytes) ** next());
  const lines: string[] = [];
  let size = 0;
  while (size < target) {
    const words: string[] = [];
    const count = 3 + Math.floor(next() * 14);
    for (let index = 0; index < count; index++) {
      words.push(next() < 0.012 ? COMMON_WORD : (WORDS[Math.floor(next() * WORDS.length)] as string));
    }
    if (next() < 0.02) {
      const letters = String.fromCharCode(
        65 + Math.floor(next() * 26),
        65 + Math.floor(next() * 26),
        65 + Math.floor(next() * 26),
      );
      words.splice(
        Math.floor(next() * words.length),
        0,
        `${letters}-${2015 + Math.floor(next() * 10)}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}`,
      );
    }
    if (next() < 1 / 4_000) words.splice(Math.floor(next() * words.length), 0, RARE_WORD);
    const line = words.join(' ');
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function binaryContent(next: () => number): Buffer {
  const bytes = Buffer.alloc(512 + Math.floor(next() * 4_096));
  for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(next() * 256);
  bytes[8] = 0;
  // The searched words inside binary files: found only if binary detection fails.
  bytes.write(`${RARE_WORD} ${COMMON_WORD}`, 64, 'latin1');
  return bytes;
}

function folderFor(next: () => number): string {
  const depth = 1 + Math.floor(next() * 4);
  const parts = [`area-${Math.floor(next() * 12)}`];
  if (depth > 1) parts.push(`topic-${Math.floor(next() * 8)}`);
  if (depth > 2) parts.push(String(2019 + Math.floor(next() * 6)));
  if (depth > 3) parts.push(`part-${Math.floor(next() * 4)}`);
  return parts.join('/');
}

function generate(root: string): Manifest {
  const next = random(0x5eed_0001);
  const writer = new TreeWriter(root);
  // Skipped by both tools: version control, dependencies, and what the .gitignore names.
  writer.write('.gitignore', '.gitignore', '# build output and logs\n*.log\nbuild/\n');
  for (let index = 0; index < 500; index++) {
    writer.write(
      '.git',
      `.git/objects/${(index % 256).toString(16).padStart(2, '0')}/${index}`,
      textContent(next, 200, 2_000),
    );
  }
  for (let index = 0; index < 1_500; index++) {
    writer.write(
      'node_modules',
      `node_modules/pkg-${index % 40}/lib/file-${index}.js`,
      textContent(next, 200, 4_000),
    );
  }
  for (let index = 0; index < 1_000; index++) {
    writer.write(
      'gitignored build/',
      `${folderFor(next)}/build/out-${index}.txt`,
      textContent(next, 200, 4_000),
    );
  }
  for (let index = 0; index < 1_000; index++) {
    writer.write('gitignored *.log', `${folderFor(next)}/run-${index}.log`, textContent(next, 200, 4_000));
  }
  for (let index = 0; index < 1_000; index++) {
    writer.write('binary', `${folderFor(next)}/image-${index}.png`, binaryContent(next));
  }
  const extensions = ['txt', 'md', 'csv', 'js', 'json', 'html'];
  for (let index = 0; writer.files < GREP_TREE_FILES; index++) {
    const hidden = next() < 0.02 ? '.' : '';
    const extension = extensions[Math.floor(next() * extensions.length)] as string;
    writer.write(
      'text',
      `${folderFor(next)}/${hidden}doc-${index}.${extension}`,
      textContent(next, 150, 6_000),
    );
  }
  return {
    version: GREP_TREE_VERSION,
    files: writer.files,
    bytes: writer.bytes,
    composition: writer.composition,
  };
}

/** The cached tree, generated first when missing or from another generator version. */
export function ensureGrepTree(): GrepTree {
  const cache = join(tmpdir(), `steward-bench-grep-v${GREP_TREE_VERSION}`);
  const root = join(cache, 'tree');
  const manifestPath = join(cache, 'manifest.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (manifest.version === GREP_TREE_VERSION && manifest.files === GREP_TREE_FILES) {
      return { root, files: manifest.files, bytes: manifest.bytes, composition: manifest.composition };
    }
  }
  const started = performance.now();
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const manifest = generate(root);
  // Written last: a tree whose generation was interrupted has no manifest and is made again.
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return {
    root,
    files: manifest.files,
    bytes: manifest.bytes,
    composition: manifest.composition,
    generatedMs: performance.now() - started,
  };
}
