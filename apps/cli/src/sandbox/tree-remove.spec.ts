import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTree } from './tree-remove.js';

describe('removeTree', () => {
  let root: string;
  let outside: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'steward-tree-spec-'));
    outside = join(root, 'host');
    mkdirSync(join(outside, 'lib'), { recursive: true });
    writeFileSync(join(outside, 'passwd'), 'root:x:0:0\n');
    writeFileSync(join(outside, 'lib', 'libc.so'), 'elf');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('removes a rootfs-like tree but never what its absolute symlinks point at', () => {
    const tree = join(root, 'cache', '70da1eea9312');
    mkdirSync(join(tree, 'rootfs', 'usr', 'lib'), { recursive: true });
    mkdirSync(join(tree, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(tree, 'rootfs', 'usr', 'lib', 'python3'), 'x'.repeat(100));
    symlinkSync('usr/lib', join(tree, 'rootfs', 'lib'));
    symlinkSync(join(outside, 'lib'), join(tree, 'rootfs', 'hostlib'));
    symlinkSync(join(outside, 'passwd'), join(tree, 'rootfs', 'etc', 'passwd'));
    symlinkSync('/nonexistent/target', join(tree, 'rootfs', 'dangling'));

    removeTree(tree);

    expect(existsSync(tree)).toBe(false);
    expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('root:x:0:0\n');
    expect(readFileSync(join(outside, 'lib', 'libc.so'), 'utf8')).toBe('elf');
  });

  it('refuses to treat a symlink to a folder as the tree to remove', () => {
    const link = join(root, 'link');
    symlinkSync(outside, link);
    expect(() => removeTree(link)).toThrow(/not a folder/);
    expect(existsSync(join(outside, 'passwd'))).toBe(true);
  });
});
