import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StewardError } from '@steward/contracts';
import { EntitySchema, type MigrationInterface, type QueryRunner } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeDatabase,
  openDatabase,
  readPragma,
  recordServiceStart,
  type OpenDatabaseOptions,
} from '../src/index.js';

interface Note {
  id: number;
  body: string;
}

const NoteSchema = new EntitySchema<Note>({
  name: 'Note',
  tableName: 'note',
  columns: {
    id: { type: 'integer', primary: true, generated: true },
    body: { type: 'text' },
  },
});

let noteMigrationRuns = 0;

class CreateNote1767225600000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    noteMigrationRuns++;
    await queryRunner.query(
      `CREATE TABLE "note" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "body" text NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "note"`);
  }
}

class BrokenAfterCreate1767225700000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "half_done" ("id" integer PRIMARY KEY NOT NULL)`);
    await queryRunner.query(`THIS IS NOT SQL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "half_done"`);
  }
}

let dir: string;
let file: string;

function options(overrides: Partial<OpenDatabaseOptions> = {}): OpenDatabaseOptions {
  return { file, entities: [NoteSchema], migrations: [CreateNote1767225600000], ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<StewardError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StewardError);
    return error as StewardError;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-storage-'));
  file = join(dir, 'data', 'svc.sqlite');
  noteMigrationRuns = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('reads back WAL, synchronous NORMAL, foreign keys on and the busy timeout', async () => {
    const ds = await openDatabase(options({ busyTimeoutMs: 7_000 }));
    try {
      expect(await readPragma(ds, 'journal_mode')).toBe('wal');
      expect(await readPragma(ds, 'synchronous')).toBe(1);
      expect(await readPragma(ds, 'foreign_keys')).toBe(1);
      expect(await readPragma(ds, 'busy_timeout')).toBe(7_000);
    } finally {
      await closeDatabase(ds);
    }
  });

  it('applies each migration exactly once across two opens and keeps the data', async () => {
    const first = await openDatabase(options());
    await first.getRepository(NoteSchema).save({ body: 'kept' });
    await closeDatabase(first);
    expect(noteMigrationRuns).toBe(1);

    const second = await openDatabase(options());
    try {
      expect(noteMigrationRuns).toBe(1);
      expect(await second.showMigrations()).toBe(false);
      const applied = (await second.query(`SELECT "name" FROM "migrations" ORDER BY "timestamp"`)) as {
        name: string;
      }[];
      expect(applied.map((row) => row.name)).toEqual([
        'CreateServiceStart1735689600000',
        'CreateNote1767225600000',
      ]);
      expect(await second.getRepository(NoteSchema).find()).toEqual([{ id: 1, body: 'kept' }]);
    } finally {
      await closeDatabase(second);
    }
  });

  it('rolls back every pending migration when one fails, then applies them once fixed', async () => {
    const error = await rejection(
      openDatabase(options({ migrations: [CreateNote1767225600000, BrokenAfterCreate1767225700000] })),
    );
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/migrations failed and were rolled back/);

    const ds = await openDatabase(options());
    try {
      const tables = (await ds.query(`SELECT "name" FROM sqlite_master WHERE type = 'table'`)) as {
        name: string;
      }[];
      const names = tables.map((row) => row.name);
      expect(names).toContain('note');
      expect(names).not.toContain('half_done');
      expect(noteMigrationRuns).toBe(2);
    } finally {
      await closeDatabase(ds);
    }
  });

  it('refuses synchronize before touching the disk', async () => {
    // @ts-expect-error synchronize is not an option: schema changes go through migrations only
    const error = await rejection(openDatabase({ ...options(), synchronize: true }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/synchronize/);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a relative path and a migration without a timestamp in its name', async () => {
    expect((await rejection(openDatabase(options({ file: 'data/svc.sqlite' })))).code).toBe('INVALID_INPUT');
    class AddThing implements MigrationInterface {
      async up(): Promise<void> {}
      async down(): Promise<void> {}
    }
    const error = await rejection(openDatabase(options({ migrations: [AddThing] })));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/AddThing/);
  });

  it('creates the directory 0700 and the database and its WAL 0600', async () => {
    const ds = await openDatabase(options());
    try {
      await ds.getRepository(NoteSchema).save({ body: 'in the wal' });
      expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(`${file}-wal`)).mode & 0o777).toBe(0o600);
    } finally {
      await closeDatabase(ds);
    }
  });

  it('tightens a database file left readable by others, and says so', async () => {
    await closeDatabase(await openDatabase(options()));
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o644);
    const warnings: string[] = [];
    const ds = await openDatabase(options({ logger: { warn: (message) => warnings.push(message) } }));
    await closeDatabase(ds);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(warnings.some((w) => w.includes('0644'))).toBe(true);
  });

  it('answers a file that is not a database with a typed UNAVAILABLE error', async () => {
    await closeDatabase(await openDatabase(options()));
    await writeFile(file, randomBytes(64 * 1024));
    const error = await rejection(openDatabase(options()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(
      new RegExp(`^database ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be opened: `),
    );
    expect(error.retryable).toBe(false);
  });

  it('refuses a second DataSource on the same file in the same thread until the first is closed', async () => {
    const first = await openDatabase(options());
    const error = await rejection(openDatabase(options()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/already open in this process/);
    await closeDatabase(first);
    await closeDatabase(await openDatabase(options()));
  });

  it('truncates the WAL on close', async () => {
    const ds = await openDatabase(options());
    await ds.getRepository(NoteSchema).save({ body: 'x'.repeat(10_000) });
    await closeDatabase(ds);
    expect(existsSync(`${file}-wal`) ? (await stat(`${file}-wal`)).size : 0).toBe(0);
    expect(ds.isInitialized).toBe(false);
  });
});

describe('service start ledger', () => {
  it('counts starts across reopen', async () => {
    const first = await openDatabase(options());
    const one = await recordServiceStart(first, { pid: 4242, version: '0.1.0' });
    await closeDatabase(first);

    const second = await openDatabase(options());
    try {
      const two = await recordServiceStart(second, { pid: 4343, version: '0.1.1' });
      expect(one.starts).toBe(1);
      expect(two.starts).toBe(2);
      expect(new Date(two.startedAt).toISOString()).toBe(two.startedAt);
      const rows = (await second.query(
        `SELECT "pid", "version" FROM "service_start" ORDER BY "id"`,
      )) as unknown[];
      expect(rows).toEqual([
        { pid: 4242, version: '0.1.0' },
        { pid: 4343, version: '0.1.1' },
      ]);
    } finally {
      await closeDatabase(second);
    }
  });

  it('refuses a start without a real pid', async () => {
    const ds = await openDatabase(options());
    try {
      expect((await rejection(recordServiceStart(ds, { pid: -1, version: '0.1.0' }))).code).toBe(
        'INVALID_INPUT',
      );
    } finally {
      await closeDatabase(ds);
    }
  });
});

describe('two connections on one file', () => {
  it('both write a few hundred rows in transactions at once without SQLITE_BUSY', async () => {
    const distEntry = new URL('../dist/index.js', import.meta.url);
    if (!existsSync(distEntry)) throw new Error('build the library first: npx tsc -b libs/storage');
    const rows = 300;
    const ds = await openDatabase(options({ busyTimeoutMs: 10_000 }));
    const worker = new Worker(new URL('./concurrent-writer.worker.mjs', import.meta.url), {
      workerData: { file, rows },
    });
    try {
      const [ready] = (await once(worker, 'message')) as [{ type: string }];
      expect(ready.type).toBe('ready');
      const done = once(worker, 'message') as Promise<[{ inserted: number; errors: string[] }]>;
      worker.postMessage('go');

      const errors: string[] = [];
      for (let i = 0; i < rows; i++) {
        await ds
          .getRepository(NoteSchema)
          .save({ body: `main ${i}` })
          .catch((error: unknown) => errors.push(String(error)));
      }
      const [fromWorker] = await done;

      expect(errors).toEqual([]);
      expect(fromWorker.errors).toEqual([]);
      expect(fromWorker.inserted).toBe(rows);
      expect(await ds.getRepository(NoteSchema).count()).toBe(2 * rows);
    } finally {
      await worker.terminate();
      await closeDatabase(ds);
    }
  });
});
