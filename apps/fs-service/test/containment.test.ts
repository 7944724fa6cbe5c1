import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StewardError, type ErrorCode } from '@steward/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atomicWrite } from '../src/containment/atomic-write.js';
import { looksBinary, readCapped } from '../src/containment/read-capped.js';
import { fdPath, openInside, type OpenedPath, type OpenIntent } from '../src/containment/safe-open.js';
import { TaskRoots } from '../src/containment/task-roots.js';
import { expectFileUntouched } from './support/untouched.js';

const SENTINEL = 'OUTSIDE-SENTINEL: must never be read or written through a connected folder\n';
const isRoot = process.getuid?.() === 0;

let base: string;
let work: string;
let other: string;
let outside: string;
let secrets: string;
let sentinel: string;
let sentinelBefore: Stats;
let roots: TaskRoots;
let socketServer: Server;

beforeAll(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'steward-containment-')));
  work = join(base, 'work');
  other = join(base, 'other');
  outside = join(base, 'outside');
  secrets = join(base, 'work-secrets');
  for (const dir of [work, join(work, 'sub'), other, outside, secrets]) mkdirSync(dir);

  writeFileSync(join(work, 'notes.txt'), 'inside notes\n');
  writeFileSync(join(work, 'sub/deep.txt'), 'deep inside\n');
  writeFileSync(join(other, 'shared.txt'), 'in the other root\n');
  writeFileSync(join(secrets, 'key.txt'), 'secret key\n');
  sentinel = join(outside, 'secret.txt');
  writeFileSync(sentinel, SENTINEL);
  // An old atime, so that under relatime any read of the sentinel would move it.
  const old = Date.now() / 1000 - 3 * 86_400;
  utimesSync(sentinel, old, old - 86_400);

  const link = (target: string, name: string) => symlinkSync(target, join(work, name));
  link('notes.txt', 'inside-rel');
  link(join(work, 'sub/deep.txt'), 'inside-abs');
  link('sub', 'inside-dir');
  link('inside-rel', 'inside-chain');
  link('.', 'self');
  link('sub/../notes.txt', 'inside-dotdot');
  link('missing-target.txt', 'dangling');
  link(join(other, 'shared.txt'), 'to-other-root');
  link('../outside/secret.txt', 'out-rel');
  link(sentinel, 'out-abs');
  link('out-chain-2', 'out-chain-1');
  link('../outside/secret.txt', 'out-chain-2');
  link('../outside', 'out-dir');
  link('sub/../../outside/secret.txt', 'out-climb');
  link('../work-secrets/key.txt', 'out-sibling');
  link('..', 'out-parent');
  link('/', 'out-slash');
  link('/dev/null', 'devnull');
  link('loop-b', 'loop-a');
  link('loop-a', 'loop-b');
  symlinkSync('../../outside', join(work, 'sub/up-out'));

  execFileSync('mkfifo', [join(work, 'pipe')]);
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(join(work, 'sock'), resolve));
  writeFileSync(join(work, 'hard.txt'), 'two names\n');
  linkSync(join(work, 'hard.txt'), join(work, 'hard-twin.txt'));

  sentinelBefore = statSync(sentinel);
  roots = new TaskRoots([work, other]);
});

afterAll(async () => {
  await new Promise<void>((resolve) => socketServer.close(() => resolve()));
  rmSync(base, { recursive: true, force: true });
});

async function refused(promise: Promise<unknown>, code: ErrorCode): Promise<StewardError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, `expected ${code}, but it succeeded`).toBeInstanceOf(StewardError);
  expect((error as StewardError).code).toBe(code);
  return error as StewardError;
}

async function withOpened<T>(
  path: string,
  intent: OpenIntent,
  use: (opened: OpenedPath) => Promise<T>,
  taskRoots = roots,
): Promise<T> {
  const opened = await openInside(taskRoots, path, intent);
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}

async function readText(path: string, taskRoots = roots): Promise<string> {
  return withOpened(
    path,
    { kind: 'read-file' },
    async (opened) => Buffer.from(await readCapped(opened, { maxBytes: 1 << 20 })).toString('utf8'),
    taskRoots,
  );
}

async function writeText(path: string, content: string, intent: OpenIntent = { kind: 'write-file' }) {
  return withOpened(path, intent, (opened) => atomicWrite(opened, content));
}

function expectSentinelUntouched(): void {
  expectFileUntouched(sentinel, sentinelBefore, SENTINEL);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms).unref(),
    ),
  ]);
}

function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('.steward-write-'));
}

describe('openInside: inside the roots', () => {
  it('opens a regular file with its real path, root and a readable descriptor', async () => {
    await withOpened(join(work, 'notes.txt'), { kind: 'read-file' }, async (opened) => {
      expect(opened).toMatchObject({
        realPath: join(work, 'notes.txt'),
        root: work,
        relativePath: 'notes.txt',
        isRoot: false,
        exists: true,
        name: 'notes.txt',
      });
      expect(opened.stats?.isFile()).toBe(true);
      expect(readlinkSync(fdPath(opened.parentFd))).toBe(work);
      expect(Buffer.from(await readCapped(opened, { maxBytes: 100 })).toString()).toBe('inside notes\n');
    });
  });

  it.each([
    ['a relative file link', 'inside-rel', 'inside notes\n'],
    ['an absolute file link', 'inside-abs', 'deep inside\n'],
    ['a chain of two links', 'inside-chain', 'inside notes\n'],
    ['a folder link in the middle of the path', 'inside-dir/deep.txt', 'deep inside\n'],
    ['a link to the root itself', 'self/notes.txt', 'inside notes\n'],
    ['a link whose target uses `..` and stays inside', 'inside-dotdot', 'inside notes\n'],
  ])('follows %s that stays inside', async (_label, relative, content) => {
    expect(await readText(join(work, relative))).toBe(content);
  });

  it('reports the real path a link led to', async () => {
    await withOpened(join(work, 'inside-dir/deep.txt'), { kind: 'stat' }, async (opened) => {
      expect(opened.realPath).toBe(join(work, 'sub/deep.txt'));
      expect(opened.relativePath).toBe('sub/deep.txt');
    });
  });

  it('follows a link from one connected folder into another', async () => {
    await withOpened(join(work, 'to-other-root'), { kind: 'read-file' }, async (opened) => {
      expect(opened.root).toBe(other);
      expect(opened.realPath).toBe(join(other, 'shared.txt'));
    });
  });

  it('applies `..` in the requested path lexically', async () => {
    expect(await readText(`${work}/sub/../notes.txt`)).toBe('inside notes\n');
  });

  it('lists a folder through its descriptor', async () => {
    await withOpened(join(work, 'sub'), { kind: 'list-dir' }, async (opened) => {
      expect(opened.stats?.isDirectory()).toBe(true);
      if (opened.fd === undefined) throw new Error('no descriptor');
      expect((await readdir(fdPath(opened.fd))).sort()).toEqual(['deep.txt', 'up-out']);
    });
  });

  it('marks the root itself, whose parent descriptor is the root and whose name is `.`', async () => {
    await withOpened(work, { kind: 'list-dir' }, async (opened) => {
      expect(opened).toMatchObject({ isRoot: true, relativePath: '', realPath: work, name: '.' });
      expect(readlinkSync(fdPath(opened.parentFd))).toBe(work);
      expect(() => fdPath(opened.parentFd, opened.name)).toThrow(StewardError);
    });
    await withOpened(join(work, 'self'), { kind: 'stat' }, async (opened) =>
      expect(opened.isRoot).toBe(true),
    );
  });

  it('says a stat target does not exist, but refuses a missing folder on the way', async () => {
    await withOpened(join(work, 'nope.txt'), { kind: 'stat' }, async (opened) => {
      expect(opened).toMatchObject({ exists: false, fd: undefined, stats: undefined, name: 'nope.txt' });
      expect(opened.realPath).toBe(join(work, 'nope.txt'));
    });
    await refused(openInside(roots, join(work, 'nope/x.txt'), { kind: 'stat' }), 'NOT_FOUND');
  });

  it('refuses to read a missing file or a dangling link as NOT_FOUND', async () => {
    await refused(openInside(roots, join(work, 'nope.txt'), { kind: 'read-file' }), 'NOT_FOUND');
    await refused(openInside(roots, join(work, 'dangling'), { kind: 'read-file' }), 'NOT_FOUND');
  });

  it('refuses the wrong kind of object for the intent', async () => {
    const dirAsFile = await refused(
      openInside(roots, join(work, 'sub'), { kind: 'read-file' }),
      'INVALID_INPUT',
    );
    expect(dirAsFile.message).toMatch(/is a folder/);
    await refused(openInside(roots, join(work, 'notes.txt'), { kind: 'list-dir' }), 'INVALID_INPUT');
    await refused(openInside(roots, join(work, 'sub'), { kind: 'write-file' }), 'INVALID_INPUT');
    await refused(openInside(roots, work, { kind: 'write-file' }), 'INVALID_INPUT');
    const fileAsFolder = await refused(
      openInside(roots, join(work, 'notes.txt/x'), { kind: 'read-file' }),
      'INVALID_INPUT',
    );
    expect(fileAsFolder.message).toMatch(/notes.txt is a regular file, not a folder/);
    await refused(openInside(roots, join(work, 'notes.txt'), { kind: 'make-dir' }), 'EXISTS');
  });

  it('refuses a symlink loop promptly instead of walking forever', async () => {
    const error = await refused(
      openInside(roots, join(work, 'loop-a'), { kind: 'read-file' }),
      'INVALID_INPUT',
    );
    expect(error.message).toMatch(/more than 40 symbolic links/);
  });
});

describe('openInside: outside the roots', () => {
  it.each([
    ['a path outside every root', () => sentinel],
    ['a sibling folder whose name extends the root’s', () => join(secrets, 'key.txt')],
    ['`..` in the requested path', () => `${work}/../outside/secret.txt`],
    ['`..` climbing above /', () => `${work}/../../../../../../../../..${sentinel}`],
  ])('refuses %s lexically, as OUTSIDE_ROOT', async (_label, path) => {
    for (const kind of ['read-file', 'write-file', 'stat'] as const) {
      await refused(openInside(roots, path(), { kind }), 'OUTSIDE_ROOT');
    }
    expectSentinelUntouched();
  });

  it.each([
    ['a relative file link', 'out-rel'],
    ['an absolute file link', 'out-abs'],
    ['a chain of two links, the second leading out', 'out-chain-1'],
    ['a folder link in an intermediate component', 'out-dir/secret.txt'],
    ['a link whose `..` climbs out', 'out-climb'],
    ['a link to a sibling folder sharing the root’s prefix', 'out-sibling'],
    ['a link to the root’s parent', 'out-parent/outside/secret.txt'],
    ['a link to /', 'out-slash/etc/passwd'],
    ['a nested link climbing two levels', 'sub/up-out/secret.txt'],
  ])('refuses %s as OUTSIDE_ROOT for every intent, touching nothing outside', async (_label, relative) => {
    const path = join(work, relative);
    for (const kind of ['read-file', 'write-file', 'stat', 'list-dir', 'make-dir'] as const) {
      await refused(openInside(roots, path, { kind }), 'OUTSIDE_ROOT');
    }
    await refused(writeText(path, 'overwritten through a link'), 'OUTSIDE_ROOT');
    expectSentinelUntouched();
  });

  it('refuses listing a folder link that leads out', async () => {
    await refused(openInside(roots, join(work, 'out-dir'), { kind: 'list-dir' }), 'OUTSIDE_ROOT');
    expectSentinelUntouched();
  });

  it('refuses creating parents through a link that leads out, creating nothing outside', async () => {
    await refused(
      writeText(join(work, 'out-dir/new/file.txt'), 'x', { kind: 'write-file', createParents: true }),
      'OUTSIDE_ROOT',
    );
    expectSentinelUntouched();
  });

  it('refuses /dev/null reached through a symlink', async () => {
    await refused(openInside(roots, join(work, 'devnull'), { kind: 'read-file' }), 'OUTSIDE_ROOT');
    await refused(openInside(roots, join(work, 'devnull'), { kind: 'write-file' }), 'OUTSIDE_ROOT');
  });
});

describe('openInside: objects that are not regular files', () => {
  it('refuses to read or write a FIFO, promptly, without opening it', async () => {
    for (const kind of ['read-file', 'write-file'] as const) {
      const error = await withTimeout(
        refused(openInside(roots, join(work, 'pipe'), { kind }), 'INVALID_INPUT'),
        2000,
      );
      expect(error.message).toMatch(/not a regular file \(it is a FIFO/);
    }
  });

  it('describes a FIFO for stat without opening it', async () => {
    await withTimeout(
      withOpened(join(work, 'pipe'), { kind: 'stat' }, async (opened) => {
        expect(opened.stats?.isFIFO()).toBe(true);
        expect(opened.fd).toBeUndefined();
      }),
      2000,
    );
  });

  it('refuses a socket', async () => {
    const error = await refused(
      openInside(roots, join(work, 'sock'), { kind: 'read-file' }),
      'INVALID_INPUT',
    );
    expect(error.message).toMatch(/it is a socket/);
  });

  it('refuses a character device in a connected folder', async () => {
    const devRoots = new TaskRoots(['/dev']);
    const error = await refused(openInside(devRoots, '/dev/null', { kind: 'read-file' }), 'INVALID_INPUT');
    expect(error.message).toMatch(/not a regular file \(it is a character device\)/);
    await refused(openInside(devRoots, '/dev/zero', { kind: 'write-file' }), 'INVALID_INPUT');
  });

  it.skipIf(!isRoot)('refuses a device node made inside a connected folder', async () => {
    execFileSync('mknod', [join(work, 'zero-dev'), 'c', '1', '5']);
    try {
      await refused(openInside(roots, join(work, 'zero-dev'), { kind: 'read-file' }), 'INVALID_INPUT');
    } finally {
      rmSync(join(work, 'zero-dev'));
    }
  });
});

describe('openInside: operating-system permissions', () => {
  // Root bypasses permission bits, so these only say something when run as another user.
  it.skipIf(isRoot)(
    'walks through a folder it may search but not list, as a kernel path lookup does',
    async () => {
      const dir = join(work, 'search-only');
      mkdirSync(dir);
      writeFileSync(join(dir, 'file.txt'), 'reachable');
      chmodSync(dir, 0o111);
      try {
        expect(await readText(join(dir, 'file.txt'))).toBe('reachable');
        await refused(openInside(roots, dir, { kind: 'list-dir' }), 'FORBIDDEN');
      } finally {
        chmodSync(dir, 0o755);
        rmSync(dir, { recursive: true });
      }
    },
  );

  it.skipIf(isRoot)('refuses reading an unreadable file as FORBIDDEN, yet can stat it', async () => {
    const path = join(work, 'unreadable.txt');
    writeFileSync(path, 'private', { mode: 0o000 });
    try {
      await refused(openInside(roots, path, { kind: 'read-file' }), 'FORBIDDEN');
      await withOpened(path, { kind: 'stat' }, async (opened) => {
        expect(opened.exists).toBe(true);
        expect(opened.fd).toBeUndefined();
        expect((opened.stats?.mode ?? -1) & 0o777).toBe(0);
      });
    } finally {
      rmSync(path);
    }
  });
});

describe('openInside: write policy', () => {
  it('refuses to write a file that has other hard links, and leaves it alone', async () => {
    const error = await refused(
      openInside(roots, join(work, 'hard.txt'), { kind: 'write-file' }),
      'DENIED_BY_POLICY',
    );
    expect(error.message).toMatch(/2 hard links/);
    expect(readFileSync(join(work, 'hard-twin.txt'), 'utf8')).toBe('two names\n');
    expect(await readText(join(work, 'hard.txt'))).toBe('two names\n');
  });

  it.each([
    '.git/hooks/pre-commit',
    '.git/config',
    '.bashrc',
    'home/.zshrc',
    '.config/fish/config.fish',
    '.vscode/tasks.json',
    '.mcp.json',
    'nested/repo/.git/hooks/post-checkout',
  ])('refuses writing %s unless policy allows protected writes', async (relative) => {
    const path = join(work, 'protected-case', relative);
    const error = await refused(
      openInside(roots, path, { kind: 'write-file', createParents: true }),
      'DENIED_BY_POLICY',
    );
    expect(error.message).toMatch(/protected pattern/);
    expect(existsSync(join(work, 'protected-case'))).toBe(false);
    const opened = await openInside(
      roots,
      path,
      { kind: 'write-file', createParents: true },
      {
        allowProtectedWrites: true,
      },
    );
    try {
      await atomicWrite(opened, 'allowed by policy');
    } finally {
      await opened.close();
    }
    expect(readFileSync(path, 'utf8')).toBe('allowed by policy');
    rmSync(join(work, 'protected-case'), { recursive: true });
  });

  it('refuses a write reaching a protected file through an innocent-looking link', async () => {
    mkdirSync(join(work, '.git'));
    writeFileSync(join(work, '.git/config'), '[core]\n');
    symlinkSync('.git/config', join(work, 'readme-link.txt'));
    try {
      await refused(writeText(join(work, 'readme-link.txt'), '[core]\nhooksPath=/tmp\n'), 'DENIED_BY_POLICY');
      expect(readFileSync(join(work, '.git/config'), 'utf8')).toBe('[core]\n');
    } finally {
      rmSync(join(work, '.git'), { recursive: true });
      rmSync(join(work, 'readme-link.txt'));
    }
  });

  it('refuses every access inside Steward’s home, and writes there unless policy allows', async () => {
    const home = join(work, '.steward');
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(join(home, 'run/credentials.json'), '{"pass":"x"}');
    try {
      const options = { stewardHome: home };
      for (const kind of ['read-file', 'write-file', 'stat'] as const) {
        await refused(
          openInside(roots, join(home, 'run/credentials.json'), { kind }, options),
          'DENIED_BY_POLICY',
        );
      }
      await refused(openInside(roots, home, { kind: 'list-dir' }, options), 'DENIED_BY_POLICY');
      const allowed = await openInside(
        roots,
        join(home, 'run/new.json'),
        { kind: 'write-file' },
        {
          ...options,
          allowProtectedWrites: true,
        },
      );
      await allowed.close();
      await withOpened(join(work, 'notes.txt'), { kind: 'read-file' }, async (opened) =>
        expect(opened.exists).toBe(true),
      );
    } finally {
      rmSync(home, { recursive: true });
    }
  });
});

describe('openInside: creating', () => {
  it('returns the verified parent and the name of a file that does not exist yet', async () => {
    await withOpened(join(work, 'sub/new.txt'), { kind: 'write-file' }, async (opened) => {
      expect(opened).toMatchObject({ exists: false, name: 'new.txt', realPath: join(work, 'sub/new.txt') });
      expect(readlinkSync(fdPath(opened.parentFd))).toBe(join(work, 'sub'));
    });
    expect(existsSync(join(work, 'sub/new.txt'))).toBe(false);
  });

  it('creates missing parents inside the root only when asked', async () => {
    const path = join(work, 'made/on/the/way/file.txt');
    await refused(openInside(roots, path, { kind: 'write-file' }), 'NOT_FOUND');
    expect(existsSync(join(work, 'made'))).toBe(false);
    const result = await writeText(path, 'hello', { kind: 'write-file', createParents: true });
    expect(result).toMatchObject({ realPath: path, bytes: 5, replaced: false });
    expect(readFileSync(path, 'utf8')).toBe('hello');
    rmSync(join(work, 'made'), { recursive: true });
  });

  it('opens an existing folder for make-dir and hands back the parent for a new one', async () => {
    await withOpened(join(work, 'sub'), { kind: 'make-dir' }, async (opened) => {
      expect(opened.exists).toBe(true);
      expect(opened.stats?.isDirectory()).toBe(true);
    });
    await withOpened(join(work, 'a/b'), { kind: 'make-dir', createParents: true }, async (opened) => {
      expect(opened.exists).toBe(false);
      expect(readlinkSync(fdPath(opened.parentFd))).toBe(join(work, 'a'));
    });
    rmSync(join(work, 'a'), { recursive: true });
  });

  it('writes through a dangling link inside the root by creating its target', async () => {
    const result = await writeText(join(work, 'dangling'), 'now it exists');
    expect(result.realPath).toBe(join(work, 'missing-target.txt'));
    expect(readFileSync(join(work, 'missing-target.txt'), 'utf8')).toBe('now it exists');
    expect(readlinkSync(join(work, 'dangling'))).toBe('missing-target.txt');
    rmSync(join(work, 'missing-target.txt'));
  });
});

describe('openInside: the entry itself (move and delete)', () => {
  it('names a symlink as itself, never what it points to, even when that is outside', async () => {
    await withOpened(join(work, 'sub/up-out'), { kind: 'entry' }, async (opened) => {
      expect(opened.exists).toBe(true);
      expect(opened.stats?.isSymbolicLink()).toBe(true);
      expect(opened.fd).toBeUndefined();
      expect(opened.realPath).toBe(join(work, 'sub/up-out'));
    });
    expectSentinelUntouched();
  });

  it('still refuses a link on the way that leads out', async () => {
    await refused(openInside(roots, join(work, 'sub/up-out/secret.txt'), { kind: 'entry' }), 'OUTSIDE_ROOT');
    expectSentinelUntouched();
  });

  it('counts as a write: protected paths are refused', async () => {
    mkdirSync(join(work, '.git/hooks'), { recursive: true });
    writeFileSync(join(work, '.git/hooks/pre-commit'), '#!/bin/sh\n');
    await refused(
      openInside(roots, join(work, '.git/hooks/pre-commit'), { kind: 'entry' }),
      'DENIED_BY_POLICY',
    );
    rmSync(join(work, '.git'), { recursive: true });
  });

  it('reports the folders it created on the way, outermost first', async () => {
    await withOpened(join(work, 'x/y/z.txt'), { kind: 'entry', createParents: true }, async (opened) => {
      expect(opened.createdFolders).toEqual([join(work, 'x'), join(work, 'x/y')]);
      expect(opened.exists).toBe(false);
    });
    rmSync(join(work, 'x'), { recursive: true });
  });

  it('applies a denied-path rule to reads and writes alike', async () => {
    const deniedPattern = (real: string) => (real.endsWith('/notes.txt') ? '**/notes.txt' : undefined);
    const error = await refused(
      openInside(roots, join(work, 'notes.txt'), { kind: 'read-file' }, { deniedPattern }),
      'DENIED_BY_POLICY',
    );
    expect(error.message).toContain('**/notes.txt');
  });
});

describe('atomicWrite', () => {
  it('creates a new file with the usual mode and leaves no temp file', async () => {
    const path = join(work, 'created.txt');
    const control = join(base, 'mode-control');
    writeFileSync(control, '', { mode: 0o644 });
    const result = await writeText(path, 'fresh');
    expect(result).toEqual({ realPath: path, bytes: 5, replaced: false });
    expect(statSync(path).mode & 0o777).toBe(statSync(control).mode & 0o777);
    expect(tempFilesIn(work)).toEqual([]);
    rmSync(path);
  });

  it.each([0o600, 0o755, 0o640])('replaces the content whole and keeps mode %o', async (mode) => {
    const path = join(work, 'replaced.txt');
    writeFileSync(path, 'old content that is longer than the new one\n');
    chmodSync(path, mode);
    const before = statSync(path);
    const result = await writeText(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o7777).toBe(mode);
    expect(result.replaced).toBe(true);
    expect(result.previous?.ino).toBe(before.ino);
    expect(result.bytes).toBe(4);
    rmSync(path);
  });

  it('writes bytes as given', async () => {
    const path = join(work, 'bytes.bin');
    const bytes = Uint8Array.from([0, 1, 2, 255, 254]);
    await withOpened(path, { kind: 'write-file' }, (opened) => atomicWrite(opened, bytes));
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    rmSync(path);
  });

  it('writes through a link inside the root to its target and keeps the link', async () => {
    writeFileSync(join(work, 'linked-target.txt'), 'before');
    symlinkSync('linked-target.txt', join(work, 'linked'));
    await writeText(join(work, 'linked'), 'after');
    expect(readFileSync(join(work, 'linked-target.txt'), 'utf8')).toBe('after');
    expect(readlinkSync(join(work, 'linked'))).toBe('linked-target.txt');
    rmSync(join(work, 'linked'));
    rmSync(join(work, 'linked-target.txt'));
  });

  it('replaces the file it expected, and refuses as a conflict when someone else wrote it first', async () => {
    const path = join(work, 'expected.txt');
    writeFileSync(path, 'v1');
    const opened = await openInside(roots, path, { kind: 'write-file' });
    try {
      const seen = opened.stats;
      if (seen === undefined) throw new Error('no stats');
      writeFileSync(join(work, 'elsewhere.txt'), 'v2 by someone else');
      renameSync(join(work, 'elsewhere.txt'), path);
      const error = await refused(atomicWrite(opened, 'v3', { expectedPrevious: seen }), 'EXISTS');
      expect(error.message).toMatch(/changed by someone else/);
      expect(readFileSync(path, 'utf8')).toBe('v2 by someone else');
      expect(tempFilesIn(work)).toEqual([]);
    } finally {
      await opened.close();
    }
    await withOpened(path, { kind: 'write-file' }, async (fresh) => {
      const seen = fresh.stats;
      if (seen === undefined) throw new Error('no stats');
      const result = await atomicWrite(fresh, 'v3', { expectedPrevious: seen });
      expect(result.replaced).toBe(true);
    });
    expect(readFileSync(path, 'utf8')).toBe('v3');
    rmSync(path);
  });

  it('refuses as a conflict when the expected file was removed meanwhile', async () => {
    const path = join(work, 'removed.txt');
    writeFileSync(path, 'v1');
    await withOpened(path, { kind: 'write-file' }, async (opened) => {
      const seen = opened.stats;
      if (seen === undefined) throw new Error('no stats');
      rmSync(path);
      await refused(atomicWrite(opened, 'v2', { expectedPrevious: seen }), 'EXISTS');
    });
    expect(existsSync(path)).toBe(false);
  });

  it('refuses when a second hard link appeared after opening', async () => {
    const path = join(work, 'late-link.txt');
    writeFileSync(path, 'one name');
    await withOpened(path, { kind: 'write-file' }, async (opened) => {
      linkSync(path, join(work, 'late-link-twin.txt'));
      await refused(atomicWrite(opened, 'changed'), 'DENIED_BY_POLICY');
    });
    expect(readFileSync(join(work, 'late-link-twin.txt'), 'utf8')).toBe('one name');
    expect(tempFilesIn(work)).toEqual([]);
    rmSync(path);
    rmSync(join(work, 'late-link-twin.txt'));
  });

  it('lets 20 concurrent writers produce exactly one of their contents, never a mix', async () => {
    const dir = join(work, 'concurrent');
    mkdirSync(dir);
    const path = join(dir, 'shared.txt');
    const contents = Array.from({ length: 20 }, (_, i) =>
      `${String.fromCharCode(97 + i)}`.repeat(10_000 * (i + 1)),
    );
    const results = await Promise.all(contents.map((content) => writeText(path, content)));
    expect(contents).toContain(readFileSync(path, 'utf8'));
    expect(results.filter((result) => !result.replaced)).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['shared.txt']);
    rmSync(dir, { recursive: true });
  });

  it('lets exactly one of 20 writers expecting the same file win; the others learn of the conflict', async () => {
    const path = join(work, 'contended.txt');
    writeFileSync(path, 'original');
    const opened = await Promise.all(
      Array.from({ length: 20 }, () => openInside(roots, path, { kind: 'write-file' })),
    );
    try {
      const outcomes = await Promise.allSettled(
        opened.map((handle, i) => {
          const seen = handle.stats;
          if (seen === undefined) throw new Error('no stats');
          return atomicWrite(handle, `writer ${i}`, { expectedPrevious: seen });
        }),
      );
      const won = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      expect(readFileSync(path, 'utf8')).toBe(`writer ${won[0]}`);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toBeInstanceOf(StewardError);
          expect((outcome.reason as StewardError).code).toBe('EXISTS');
        }
      }
      expect(tempFilesIn(work)).toEqual([]);
    } finally {
      await Promise.all(opened.map((handle) => handle.close()));
    }
    rmSync(path);
  });
});

describe('readCapped', () => {
  it('refuses a file over the cap before reading it', async () => {
    const path = join(work, 'big.txt');
    writeFileSync(path, 'x'.repeat(2000));
    await withOpened(path, { kind: 'read-file' }, async (opened) => {
      const error = await refused(readCapped(opened, { maxBytes: 1000 }), 'TOO_LARGE');
      expect(error.details).toEqual({ size: 2000, maxBytes: 1000 });
      expect(Buffer.from(await readCapped(opened, { maxBytes: 2000 })).toString()).toBe('x'.repeat(2000));
    });
    rmSync(path);
  });

  it('refuses a 10 GB file at once, without reading it', async () => {
    const path = join(work, 'huge.bin');
    writeFileSync(path, '');
    truncateSync(path, 10 * 1024 ** 3);
    try {
      await withTimeout(
        withOpened(path, { kind: 'read-file' }, (opened) =>
          refused(readCapped(opened, { maxBytes: 10 * 1024 * 1024 }), 'TOO_LARGE'),
        ),
        2000,
      );
    } finally {
      rmSync(path);
    }
  });

  it('stops at the cap when a file holds more than its size says', async () => {
    // /proc files report size 0 and then yield content: the same shape as a file growing mid-read.
    const procRoots = new TaskRoots([`/proc/${process.pid}`]);
    await withOpened(
      `/proc/${process.pid}/status`,
      { kind: 'read-file' },
      async (opened) => {
        expect(opened.stats?.size).toBe(0);
        const error = await refused(readCapped(opened, { maxBytes: 64 }), 'TOO_LARGE');
        expect(error.message).toMatch(/grew past the limit of 64 bytes/);
      },
      procRoots,
    );
  });

  it('reads from the start whatever the descriptor offset, and detects binary content', async () => {
    const path = join(work, 'image.bin');
    writeFileSync(path, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
    await withOpened(path, { kind: 'read-file' }, async (opened) => {
      const first = await readCapped(opened, { maxBytes: 100 });
      const second = await readCapped(opened, { maxBytes: 100 });
      expect(second).toEqual(first);
      expect(looksBinary(first)).toBe(true);
    });
    rmSync(path);
  });

  it('refuses a path opened without a readable file', async () => {
    await withOpened(join(work, 'sub'), { kind: 'list-dir' }, (opened) =>
      refused(readCapped(opened, { maxBytes: 100 }), 'INVALID_INPUT'),
    );
  });
});

describe('descriptor hygiene', () => {
  it('leaks no descriptor across successes and refusals', async () => {
    const count = () => readdirSync('/proc/self/fd').length;
    const exercise = async () => {
      await readText(join(work, 'inside-dir/deep.txt'));
      await withOpened(work, { kind: 'list-dir' }, async () => undefined);
      await writeText(join(work, 'fd-check.txt'), 'x');
      for (const relative of ['out-dir/secret.txt', 'pipe', 'loop-a', 'nope/x', 'hard.txt', 'notes.txt/x']) {
        await openInside(roots, join(work, relative), { kind: 'write-file' }).then(
          (opened) => opened.close(),
          () => undefined,
        );
      }
      await withOpened(join(work, 'notes.txt'), { kind: 'read-file' }, (opened) =>
        readCapped(opened, { maxBytes: 1 }).catch(() => undefined),
      );
    };
    await exercise();
    const before = count();
    for (let i = 0; i < 20; i += 1) await exercise();
    expect(count()).toBe(before);
    rmSync(join(work, 'fd-check.txt'));
  });

  it('closes idempotently', async () => {
    const opened = await openInside(roots, join(work, 'notes.txt'), { kind: 'read-file' });
    await opened.close();
    await opened.close();
    expect(opened.fd?.fd).toBe(-1);
    expect(() => fdPath(opened.parentFd)).toThrow(StewardError);
  });
});

describe('nothing outside was touched', () => {
  it('left the outside sentinel unread, unwritten and alone in its folder', () => {
    expectSentinelUntouched();
    expect(readFileSync(join(secrets, 'key.txt'), 'utf8')).toBe('secret key\n');
  });
});
