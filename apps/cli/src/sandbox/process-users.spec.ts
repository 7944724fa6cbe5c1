import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findProcessUsers, isWithin, procHidesOtherUsers } from './process-users.js';

describe('findProcessUsers', () => {
  let root: string;
  let proc: string;
  let cache: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'steward-users-spec-'));
    proc = join(root, 'proc');
    cache = join(root, 'cache');
    mkdirSync(proc);
    for (const version of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'aaaaaaaaaaaa0']) {
      mkdirSync(join(cache, version, 'rootfs'), { recursive: true });
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A fake /proc/<pid>: its command line, name, and optionally root and cwd links. */
  function fakeProcess(pid: number, args: string[], links: { root?: string; cwd?: string } = {}): void {
    const dir = join(proc, String(pid));
    mkdirSync(dir);
    writeFileSync(join(dir, 'cmdline'), `${args.join('\0')}\0`);
    writeFileSync(join(dir, 'comm'), `${(args[0] ?? '').split('/').at(-1)}\n`);
    if (links.root !== undefined) symlinkSync(links.root, join(dir, 'root'));
    if (links.cwd !== undefined) symlinkSync(links.cwd, join(dir, 'cwd'));
  }

  it('finds a bubblewrap sandbox by its `--ro-bind <rootfs> /` and names the version folder', () => {
    const rootfs = join(cache, 'aaaaaaaaaaaa', 'rootfs');
    fakeProcess(4242, [
      'bwrap',
      '--die-with-parent',
      '--ro-bind',
      rootfs,
      '/',
      '--proc',
      '/proc',
      '--',
      'node',
    ]);
    const users = findProcessUsers([join(cache, 'aaaaaaaaaaaa'), join(cache, 'bbbbbbbbbbbb')], proc);
    expect(users.get(join(cache, 'aaaaaaaaaaaa'))).toEqual([{ pid: 4242, program: 'bwrap', how: 'sandbox' }]);
    expect(users.get(join(cache, 'bbbbbbbbbbbb'))).toEqual([]);
  });

  it('also counts a path inside a folder given as a plain argument, or with a trailing slash', () => {
    fakeProcess(7, ['vim', `${join(cache, 'bbbbbbbbbbbb', 'rootfs', 'etc')}/`]);
    const users = findProcessUsers([join(cache, 'bbbbbbbbbbbb')], proc);
    expect(users.get(join(cache, 'bbbbbbbbbbbb'))).toEqual([{ pid: 7, program: 'vim', how: 'argument' }]);
  });

  it('matches whole path segments: a folder whose name merely starts the same is another folder', () => {
    fakeProcess(8, ['bwrap', '--ro-bind', join(cache, 'aaaaaaaaaaaa0', 'rootfs'), '/']);
    const users = findProcessUsers([join(cache, 'aaaaaaaaaaaa')], proc);
    expect(users.get(join(cache, 'aaaaaaaaaaaa'))).toEqual([]);
  });

  it('finds a process chrooted into a rootfs, or working inside one', () => {
    fakeProcess(9, ['bash'], { root: join(cache, 'aaaaaaaaaaaa', 'rootfs') });
    fakeProcess(10, ['sh'], { root: '/', cwd: join(cache, 'bbbbbbbbbbbb', 'rootfs') });
    const users = findProcessUsers([join(cache, 'aaaaaaaaaaaa'), join(cache, 'bbbbbbbbbbbb')], proc);
    expect(users.get(join(cache, 'aaaaaaaaaaaa'))).toEqual([{ pid: 9, program: 'bash', how: 'root' }]);
    expect(users.get(join(cache, 'bbbbbbbbbbbb'))).toEqual([{ pid: 10, program: 'sh', how: 'cwd' }]);
  });

  it('recognises a rootfs named through a symlinked spelling of the cache', () => {
    const alias = join(root, 'alias');
    symlinkSync(cache, alias);
    fakeProcess(11, ['bwrap', '--ro-bind', join(alias, 'aaaaaaaaaaaa', 'rootfs'), '/']);
    const users = findProcessUsers([join(cache, 'aaaaaaaaaaaa')], proc);
    expect(users.get(join(cache, 'aaaaaaaaaaaa'))).toEqual([{ pid: 11, program: 'bwrap', how: 'sandbox' }]);
  });

  it('skips entries that are not processes, processes that vanished, and this process itself', () => {
    mkdirSync(join(proc, 'self'));
    mkdirSync(join(proc, '12'));
    fakeProcess(process.pid, ['node', join(cache, 'aaaaaaaaaaaa')]);
    const users = findProcessUsers([join(cache, 'aaaaaaaaaaaa')], proc);
    expect(users.get(join(cache, 'aaaaaaaaaaaa'))).toEqual([]);
  });

  it('fails with a typed error when the process table cannot be read', () => {
    expect(() => findProcessUsers([join(cache, 'aaaaaaaaaaaa')], join(root, 'missing'))).toThrow(
      expect.objectContaining({ name: 'StewardError', code: 'UNAVAILABLE' }),
    );
  });

  it('sees the real bubblewrap-like command line of a live process in /proc', async () => {
    const rootfs = join(cache, 'bbbbbbbbbbbb', 'rootfs');
    const child = spawn(
      process.execPath,
      ['-e', 'setInterval(() => {}, 1000)', '--', '--ro-bind', rootfs, '/'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const users = findProcessUsers([join(cache, 'bbbbbbbbbbbb')]);
      expect(users.get(join(cache, 'bbbbbbbbbbbb'))).toContainEqual({
        pid: child.pid,
        program: 'node',
        how: 'sandbox',
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('isWithin', () => {
  it('is true for the folder itself and paths below it, false for siblings sharing a prefix', () => {
    expect(isWithin('/c/abc', '/c/abc')).toBe(true);
    expect(isWithin('/c/abc/rootfs', '/c/abc')).toBe(true);
    expect(isWithin('/c/abcd', '/c/abc')).toBe(false);
    expect(isWithin('/anything', '/')).toBe(true);
  });
});

describe('procHidesOtherUsers', () => {
  const line = (options: string): string =>
    `23 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc ${options}`;

  it('is true only for someone other than root when /proc is mounted with hidepid', () => {
    expect(procHidesOtherUsers(line('rw,hidepid=invisible'), 1000)).toBe(true);
    expect(procHidesOtherUsers(line('rw,hidepid=2'), 1000)).toBe(true);
    expect(procHidesOtherUsers(line('rw,hidepid=invisible'), 0)).toBe(false);
    expect(procHidesOtherUsers(line('rw'), 1000)).toBe(false);
    expect(procHidesOtherUsers(line('rw,hidepid=0'), 1000)).toBe(false);
  });
});
