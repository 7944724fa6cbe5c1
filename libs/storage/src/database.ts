import { chmod, mkdir, open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { StewardError } from '@steward/contracts';
import type BetterSqlite3 from 'better-sqlite3';
import {
  DataSource,
  type EntitySchema,
  type Logger as TypeOrmLogger,
  type MigrationInterface,
} from 'typeorm';
import { ServiceStart } from './service-start.entity.js';
import { CreateServiceStart1735689600000 } from './service-start.migration.js';

/** A decorated entity class or an `EntitySchema`. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity target type
export type EntityDefinition = Function | EntitySchema;

/** A migration class; its class name (or `name`) must end in a 13-digit millisecond timestamp. */
export type MigrationClass = new () => MigrationInterface;

export interface StorageLogger {
  warn(message: string): void;
}

export interface OpenDatabaseOptions {
  /** Absolute path of the service's SQLite file, e.g. `$STEWARD_HOME/data/<service>.sqlite`. */
  readonly file: string;
  /** The owning app's entities; the start ledger is always added. */
  readonly entities: readonly EntityDefinition[];
  /** The owning app's migrations; the start ledger's is always added. */
  readonly migrations: readonly MigrationClass[];
  readonly logger?: StorageLogger;
  /** How long a write waits for another connection's lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Schema changes go through migrations only; this is here so passing it fails to compile. */
  readonly synchronize?: never;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const MAX_BUSY_TIMEOUT_MS = 600_000;
const MIGRATIONS_TABLE = 'migrations';
const MIGRATION_NAME = /\d{13}$/;
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set([
  'file',
  'entities',
  'migrations',
  'logger',
  'busyTimeoutMs',
]);
/** SQLite result codes meaning another connection holds the lock: waiting may help. */
const TRANSIENT_SQLITE_CODES: ReadonlySet<string> = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

interface OpenEntry {
  readonly ds: DataSource;
  readonly file: string;
  readonly logger: StorageLogger | undefined;
}

/**
 * better-sqlite3 waits for a lock synchronously, blocking the event loop: a second connection to
 * the same file in the same thread waiting on a transaction the first holds across an `await` can
 * never see it committed, and fails with SQLITE_BUSY after the whole busy timeout. So one file
 * has at most one open DataSource per thread.
 */
const openByFile = new Map<string, OpenEntry>();
const entryByDataSource = new WeakMap<DataSource, OpenEntry>();

/**
 * Opens (creating if needed) a service's SQLite database: parent directory 0700, file 0600, WAL,
 * `synchronous = NORMAL`, foreign keys on, a busy timeout, then every pending migration in one
 * transaction. Never synchronizes the schema from entities.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DataSource> {
  const settings = validateOptions(options);
  const { file, logger, busyTimeoutMs } = settings;

  await prepareFile(file, logger);
  const key = await fileKey(file);
  const existing = openByFile.get(key);
  if (existing !== undefined && existing.ds.isInitialized) {
    throw new StewardError(
      'UNAVAILABLE',
      `database ${file} is already open in this process; share that DataSource`,
      {
        retryable: false,
        details: { file, reason: 'already-open' },
      },
    );
  }

  const ds = new DataSource({
    type: 'better-sqlite3',
    database: file,
    entities: [ServiceStart, ...settings.entities],
    migrations: [CreateServiceStart1735689600000, ...settings.migrations],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    synchronize: false,
    dropSchema: false,
    timeout: busyTimeoutMs,
    prepareDatabase: (db: BetterSqlite3.Database) => applyPragmas(db, busyTimeoutMs),
    // Always ours: TypeORM's default logger prints migration failures to stdout on its own.
    logger: typeOrmLogger(logger),
    logging: ['warn'],
  });

  try {
    await ds.initialize();
  } catch (error) {
    throw openError(file, error);
  }

  try {
    await verifyPragmas(ds, file, busyTimeoutMs);
    await runMigrations(ds, file);
    await warnAboutUnknownMigrations(ds, file, settings.migrationNames, logger);
  } catch (error) {
    await ds.destroy().catch(() => undefined);
    throw error;
  }

  const entry: OpenEntry = { ds, file, logger };
  openByFile.set(key, entry);
  entryByDataSource.set(ds, entry);
  return ds;
}

/**
 * Folds the WAL back into the main file and closes the connection, so a stopped service leaves
 * one self-contained file behind.
 */
export async function closeDatabase(ds: DataSource): Promise<void> {
  const entry = entryByDataSource.get(ds);
  if (entry !== undefined) {
    entryByDataSource.delete(ds);
    for (const [key, value] of openByFile) {
      if (value === entry) openByFile.delete(key);
    }
  }
  if (!ds.isInitialized) return;
  try {
    await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
  } catch (error) {
    // Nothing is lost: SQLite replays the WAL at the next open.
    entry?.logger?.warn(`database ${entry.file}: WAL checkpoint at close failed: ${describe(error)}`);
  } finally {
    await ds.destroy();
  }
}

interface Settings {
  readonly file: string;
  readonly entities: readonly EntityDefinition[];
  readonly migrations: readonly MigrationClass[];
  readonly migrationNames: ReadonlySet<string>;
  readonly logger: StorageLogger | undefined;
  readonly busyTimeoutMs: number;
}

function validateOptions(options: OpenDatabaseOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new StewardError('INVALID_INPUT', 'openDatabase needs an options object');
  }
  for (const key of Object.keys(options)) {
    if (key === 'synchronize' || key === 'dropSchema' || key === 'migrationsRun') {
      throw new StewardError(
        'INVALID_INPUT',
        `openDatabase does not accept "${key}": schema changes go through migrations, which always run at open`,
      );
    }
    if (!ALLOWED_OPTIONS.has(key)) {
      throw new StewardError('INVALID_INPUT', `openDatabase does not accept "${key}"`);
    }
  }
  const { file, entities, migrations, logger } = options;
  if (typeof file !== 'string' || !isAbsolute(file) || file.includes('\0')) {
    throw new StewardError(
      'INVALID_INPUT',
      `database file must be an absolute path, got ${JSON.stringify(file)}`,
    );
  }
  if (!Array.isArray(entities) || !Array.isArray(migrations)) {
    throw new StewardError('INVALID_INPUT', 'entities and migrations must be arrays');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 1 || busyTimeoutMs > MAX_BUSY_TIMEOUT_MS) {
    throw new StewardError('INVALID_INPUT', `busyTimeoutMs must be an integer in 1..${MAX_BUSY_TIMEOUT_MS}`);
  }
  return {
    file: resolve(file),
    entities,
    migrations,
    migrationNames: migrationNames(migrations),
    logger,
    busyTimeoutMs,
  };
}

/** Checks names up front: TypeORM identifies a migration by name and orders by its timestamp suffix. */
function migrationNames(migrations: readonly MigrationClass[]): ReadonlySet<string> {
  const names = new Set<string>([new CreateServiceStart1735689600000().name]);
  for (const Migration of migrations) {
    if (typeof Migration !== 'function') {
      throw new StewardError('INVALID_INPUT', 'each migration must be a class');
    }
    const name = new Migration().name ?? Migration.name;
    if (!MIGRATION_NAME.test(name)) {
      throw new StewardError(
        'INVALID_INPUT',
        `migration ${name} must end in a 13-digit millisecond timestamp`,
      );
    }
    if (names.has(name)) {
      throw new StewardError(
        'INVALID_INPUT',
        `migration ${name} is listed twice or clashes with a built-in one`,
      );
    }
    names.add(name);
  }
  return names;
}

async function prepareFile(file: string, logger: StorageLogger | undefined): Promise<void> {
  try {
    // Applies to every directory created here; an existing directory is the person's to keep.
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // Created before SQLite touches it so it never exists with umask permissions; SQLite gives
    // the -wal and -shm files the main file's mode.
    const handle = await open(file, 'a', 0o600);
    await handle.close();
    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      await tighten(path, logger);
    }
  } catch (error) {
    throw openError(file, error);
  }
}

async function tighten(path: string, logger: StorageLogger | undefined): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  if (mode === 0o600) return;
  await chmod(path, 0o600);
  logger?.warn(`${path} had mode ${mode.toString(8).padStart(4, '0')}; set to 0600`);
}

async function fileKey(file: string): Promise<string> {
  try {
    return join(await realpath(dirname(file)), basename(file));
  } catch (error) {
    throw openError(file, error);
  }
}

/** Runs on the raw connection before TypeORM uses it; closes it if the file is not usable. */
function applyPragmas(db: BetterSqlite3.Database, busyTimeoutMs: number): void {
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    // Durable at every checkpoint and safe against corruption in WAL mode, without an fsync per commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Read back, because SQLite answers some requests (WAL on a network filesystem) by silently not complying. */
async function verifyPragmas(ds: DataSource, file: string, busyTimeoutMs: number): Promise<void> {
  const expected: ReadonlyArray<readonly [string, string | number]> = [
    ['journal_mode', 'wal'],
    ['synchronous', 1],
    ['foreign_keys', 1],
    ['busy_timeout', busyTimeoutMs],
  ];
  for (const [pragma, want] of expected) {
    let got: unknown;
    try {
      got = await readPragma(ds, pragma);
    } catch (error) {
      throw openError(file, error);
    }
    const matches = typeof want === 'string' ? String(got).toLowerCase() === want : Number(got) === want;
    if (!matches) {
      throw new StewardError(
        'UNAVAILABLE',
        `database ${file} cannot be opened: ${pragma} is ${String(got)}, expected ${String(want)}`,
        { retryable: false, details: { file, pragma, expected: want, actual: got } },
      );
    }
  }
}

/** The value of a `PRAGMA <name>` as SQLite reports it (e.g. `'wal'`, `1`). */
export async function readPragma(ds: DataSource, name: string): Promise<unknown> {
  if (!/^[a-z_]+$/.test(name)) {
    throw new StewardError('INVALID_INPUT', `not a pragma name: ${JSON.stringify(name)}`);
  }
  const rows: unknown = await ds.query(`PRAGMA ${name}`);
  const first: unknown = Array.isArray(rows) ? rows[0] : undefined;
  if (typeof first !== 'object' || first === null) return undefined;
  return Object.values(first)[0];
}

async function runMigrations(ds: DataSource, file: string): Promise<void> {
  try {
    await ds.runMigrations({ transaction: 'all' });
  } catch (error) {
    if (isUnavailable(error)) throw openError(file, error);
    throw new StewardError(
      'INTERNAL',
      `database ${file}: migrations failed and were rolled back: ${describe(error)}`,
      {
        retryable: false,
        details: { file },
        cause: error,
      },
    );
  }
}

/** A database written by a newer version still opens, but whoever runs the older one should know. */
async function warnAboutUnknownMigrations(
  ds: DataSource,
  file: string,
  known: ReadonlySet<string>,
  logger: StorageLogger | undefined,
): Promise<void> {
  if (logger === undefined) return;
  const rows: unknown = await ds.query(`SELECT "name" FROM "${MIGRATIONS_TABLE}"`);
  const unknown = (Array.isArray(rows) ? rows : [])
    .map((row: unknown) => (typeof row === 'object' && row !== null && 'name' in row ? String(row.name) : ''))
    .filter((name) => name !== '' && !known.has(name));
  if (unknown.length > 0) {
    logger.warn(
      `database ${file} has migrations this version does not know (newer version?): ${unknown.join(', ')}`,
    );
  }
}

/** Failures reach the caller as errors; only TypeORM's warnings are worth passing on. */
function typeOrmLogger(logger: StorageLogger | undefined): TypeOrmLogger {
  return {
    logQuery: () => undefined,
    logQueryError: () => undefined,
    logQuerySlow: (time, query) => logger?.warn(`slow query (${time} ms): ${query.slice(0, 200)}`),
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: (level, message: unknown) => {
      if (level === 'warn') logger?.warn(String(message));
    },
  };
}

function openError(file: string, error: unknown): StewardError {
  if (error instanceof StewardError) return error;
  const code = errorCode(error);
  return new StewardError('UNAVAILABLE', `database ${file} cannot be opened: ${describe(error)}`, {
    retryable: code !== undefined && TRANSIENT_SQLITE_CODES.has(code),
    details: { file, ...(code === undefined ? {} : { code }) },
    cause: error,
  });
}

/** Failures of the file itself, as opposed to a bug in a migration's SQL. */
function isUnavailable(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  return (
    /^SQLITE_(BUSY|LOCKED|CORRUPT|NOTADB|CANTOPEN|IOERR|READONLY|PERM|FULL|AUTH)/.test(code) ||
    /^E[A-Z]+$/.test(code)
  );
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    if ('code' in current && typeof current.code === 'string') return current.code;
    // TypeORM wraps driver errors in QueryFailedError, keeping the original as driverError.
    current = 'driverError' in current ? current.driverError : undefined;
  }
  return undefined;
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
