import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import { defaultSqliteDriver, openSqlite, type SqliteDriver } from './sqlite.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
/** Anything a repository function can run a query on: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type Trx = Transaction<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly dialect: Dialect;
  /** The SQLite driver in use (see db/sqlite.ts); undefined on PostgreSQL. */
  readonly sqliteDriver?: SqliteDriver;
  close(): Promise<void>;
}

// COUNT(*) and other int8 values fit in a JS number for our purposes.
pg.types.setTypeParser(20, (value) => Number(value));

/**
 * Opens the configured database. SQLite runs in WAL mode with `synchronous=FULL`: a commit is on disk
 * before the answer that depends on it is sent. Its driver is the configured one, else the runtime's
 * default (db/sqlite.ts); a driver this runtime cannot run throws with the reason.
 */
export function openDatabase(database: Config['database']): DatabaseHandle {
  if (database.dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    // An idle client losing its connection must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  if (database.file !== ':memory:') {
    mkdirSync(path.dirname(database.file), { recursive: true, mode: 0o700 });
    // Create the file readable by its owner only; SQLite gives the WAL and shared-memory files the same mode.
    closeSync(openSync(database.file, 'a', 0o600));
  }
  const sqliteDriver = database.driver ?? defaultSqliteDriver();
  const sqlite = openSqlite(database.file, sqliteDriver);
  sqlite.exec('PRAGMA journal_mode = WAL');
  sqlite.exec('PRAGMA synchronous = FULL');
  sqlite.exec('PRAGMA foreign_keys = ON');
  sqlite.exec('PRAGMA busy_timeout = 5000');
  // A 32 MiB page cache (the default is 2 MiB) keeps the upper levels of the key index in memory.
  sqlite.exec('PRAGMA cache_size = -32768');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', sqliteDriver, close: () => db.destroy() };
}

/** Converts a stored timestamp (Date from pg, ISO text from SQLite) to ISO-8601 UTC. */
export function toIso(value: string | Date): string;
export function toIso(value: string | Date | null): string | null;
export function toIso(value: string | Date | null): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value : value.toISOString();
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  return JSON.parse(text) as T;
}

/** True when the error is a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True when the error is a foreign-key violation on either dialect. */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string };
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
