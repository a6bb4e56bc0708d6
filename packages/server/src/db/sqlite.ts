import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * The two SQLite drivers Keyhaven runs on. `node-sqlite` is the runtime's own `node:sqlite`
 * (`DatabaseSync`), used where the runtime has it unflagged with `StatementSync#columns()` (Node 22.16+,
 * 24). `better-sqlite3` (version 12, an optional dependency) serves Node 20, and Node 22 on request; on
 * Node 24 it is refused, because version 12 aborts the process there when the garbage collector
 * finalizes a statement outside a JavaScript context (fixed upstream only in 13, which drops Node 20).
 */
export const SQLITE_DRIVERS = ['node-sqlite', 'better-sqlite3'] as const;
export type SqliteDriver = (typeof SQLITE_DRIVERS)[number];

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Why a driver cannot run on this runtime, or null when it can. Loads nothing but `node:sqlite`. */
export function sqliteDriverProblem(driver: SqliteDriver): string | null {
  if (driver === 'better-sqlite3') {
    if (NODE_MAJOR >= 24) {
      return `better-sqlite3 12 aborts the process on Node.js ${process.versions.node} (statements finalized outside a JavaScript context); use node-sqlite`;
    }
    return null;
  }
  const sqlite = nodeSqlite();
  if (sqlite === undefined) return `node:sqlite is not available without a flag on Node.js ${process.versions.node} (it is from 22.13; Keyhaven needs 22.16+ or 24); use better-sqlite3`;
  if (typeof sqlite.StatementSync.prototype.columns !== 'function') {
    return `node:sqlite on Node.js ${process.versions.node} lacks StatementSync#columns() (added in 22.16); use better-sqlite3`;
  }
  return null;
}

/** The driver used when none is configured: node:sqlite wherever it can run, else better-sqlite3. */
export function defaultSqliteDriver(): SqliteDriver {
  return sqliteDriverProblem('node-sqlite') === null ? 'node-sqlite' : 'better-sqlite3';
}

/** What Kysely's `SqliteDialect` is given: its `database` shape, plus `exec` for pragmas. */
export interface SqliteConnection extends SqliteDatabase {
  exec(sql: string): void;
}

/**
 * Opens a SQLite file with the given driver and wraps it in a statement cache. Throws with the reason
 * when the driver cannot run on this runtime or is not installed.
 */
export function openSqlite(file: string, driver: SqliteDriver): SqliteConnection {
  const problem = sqliteDriverProblem(driver);
  if (problem !== null) throw new Error(`SQLite driver ${driver} cannot be used: ${problem}`);
  const connection = driver === 'node-sqlite' ? openNodeSqlite(file) : openBetterSqlite3(file);
  return withStatementCache(connection);
}

/** The calls both drivers answer alike with spread parameters, for tools that bypass Kysely (bench/). */
export interface RawSqlite {
  prepare(sql: string): { run(...parameters: unknown[]): unknown; get(...parameters: unknown[]): unknown; all(...parameters: unknown[]): unknown[] };
  exec(sql: string): void;
  close(): void;
}

/** Opens a SQLite file with the runtime's default driver, without the Kysely adapter (bench seeding and queries). */
export function openRawSqlite(file: string, options: { readonly?: boolean } = {}): RawSqlite {
  const driver = defaultSqliteDriver();
  if (driver === 'node-sqlite') return new (nodeSqlite()!.DatabaseSync)(file, { readOnly: options.readonly === true }) as unknown as RawSqlite;
  return new (loadBetterSqlite3())(file, { readonly: options.readonly === true }) as unknown as RawSqlite;
}

// ---------------------------------------------------------------------------------------------------
// better-sqlite3: loaded on first use only, so a runtime that uses node:sqlite never loads its binary.

function openBetterSqlite3(file: string): SqliteConnection {
  return new (loadBetterSqlite3())(file) as unknown as SqliteConnection;
}

function loadBetterSqlite3(): typeof BetterSqlite3 {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new Error(
      `SQLite driver better-sqlite3 is not installed or not built for Node.js ${process.versions.node} ` +
        `(${(error as Error).message.split('\n')[0]}): run "npm rebuild better-sqlite3" with a C++ toolchain, or use Node.js 22.16+ or 24 (node:sqlite)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// node:sqlite, adapted to the better-sqlite3 shape Kysely's SQLite driver calls.

type Row = Record<string, unknown>;
interface NodeStatementSync {
  all(...parameters: unknown[]): Row[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<Row>;
  columns(): unknown[];
}
interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string, options?: { readOnly?: boolean }) => NodeDatabaseSync;
  StatementSync: { prototype: Partial<NodeStatementSync> };
}

let nodeSqliteModule: NodeSqliteModule | undefined | null = null;

/**
 * `node:sqlite`, or undefined where the runtime lacks it. Node 22 announces it with an
 * ExperimentalWarning when it loads; that one warning is dropped (we chose the module knowingly), every
 * other warning still goes through.
 */
function nodeSqlite(): NodeSqliteModule | undefined {
  if (nodeSqliteModule !== null) return nodeSqliteModule;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const message = typeof warning === 'string' ? warning : warning.message;
    const name = typeof warning === 'string' ? type : warning.name;
    if (name === 'ExperimentalWarning' && message.startsWith('SQLite is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    nodeSqliteModule = (process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined) ?? undefined;
  } catch {
    nodeSqliteModule = undefined;
  } finally {
    process.emitWarning = emitWarning;
  }
  return nodeSqliteModule;
}

function openNodeSqlite(file: string): SqliteConnection {
  const database = new (nodeSqlite()!.DatabaseSync)(file);
  return {
    prepare: (sql) => nodeStatement(sqliteCall(() => database.prepare(sql))),
    exec: (sql) => sqliteCall(() => database.exec(sql)),
    close: () => database.close(),
  };
}

function nodeStatement(statement: NodeStatementSync): SqliteStatement {
  return {
    // As better-sqlite3's `reader`: the statement returns columns (a SELECT, or any statement with RETURNING).
    reader: statement.columns().length > 0,
    all: (parameters) => sqliteCall(() => statement.all(...parameters)).map(plainRow),
    run: (parameters) => sqliteCall(() => statement.run(...parameters)),
    *iterate(parameters) {
      const rows = sqliteCall(() => statement.iterate(...parameters));
      while (true) {
        const next = sqliteCall(() => rows.next());
        if (next.done) return;
        yield plainRow(next.value);
      }
    },
  };
}

/**
 * node:sqlite rows have a null prototype and return BLOBs as Uint8Array; better-sqlite3 rows are plain
 * objects with Buffers. Mappers and tests see the same values from both.
 */
function plainRow(row: Row): Row {
  const plain: Row = {};
  for (const key in row) {
    const value = row[key];
    plain[key] = value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  return plain;
}

/**
 * SQLite's extended result codes by name, as better-sqlite3 reports them in `error.code` (node:sqlite
 * reports `code: 'ERR_SQLITE_ERROR'` and the number in `errcode`). `isUniqueViolation` and
 * `isForeignKeyViolation` read these names.
 */
const SQLITE_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR', 2: 'SQLITE_INTERNAL', 3: 'SQLITE_PERM', 4: 'SQLITE_ABORT', 5: 'SQLITE_BUSY', 6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY', 9: 'SQLITE_INTERRUPT', 10: 'SQLITE_IOERR', 11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 15: 'SQLITE_PROTOCOL', 16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA', 18: 'SQLITE_TOOBIG', 19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH', 21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS', 23: 'SQLITE_AUTH', 24: 'SQLITE_FORMAT', 25: 'SQLITE_RANGE', 26: 'SQLITE_NOTADB',
  261: 'SQLITE_BUSY_RECOVERY', 517: 'SQLITE_BUSY_SNAPSHOT', 773: 'SQLITE_BUSY_TIMEOUT', 262: 'SQLITE_LOCKED_SHAREDCACHE',
  275: 'SQLITE_CONSTRAINT_CHECK', 531: 'SQLITE_CONSTRAINT_COMMITHOOK', 787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1043: 'SQLITE_CONSTRAINT_FUNCTION', 1299: 'SQLITE_CONSTRAINT_NOTNULL', 1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  1811: 'SQLITE_CONSTRAINT_TRIGGER', 2067: 'SQLITE_CONSTRAINT_UNIQUE', 2323: 'SQLITE_CONSTRAINT_VTAB',
  2579: 'SQLITE_CONSTRAINT_ROWID', 2835: 'SQLITE_CONSTRAINT_PINNED', 3091: 'SQLITE_CONSTRAINT_DATATYPE',
};

/** Runs a node:sqlite call; a SQLite error comes out with better-sqlite3's `code` (SQLITE_CONSTRAINT_UNIQUE, ...). */
function sqliteCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const e = error as { code?: string; errcode?: number };
    if (e?.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
      e.code = SQLITE_CODES[e.errcode] ?? SQLITE_CODES[e.errcode & 0xff] ?? 'SQLITE_ERROR';
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------

/**
 * Kysely's SQLite driver prepares every query anew, and parsing and planning a statement costs more
 * than running an indexed lookup. This keeps the most recently used prepared statements by SQL text
 * (bounded: multi-row inserts produce one text per row count). Reusing a statement is safe because the
 * driver hands its single connection to one query (or one transaction, or one stream) at a time, and
 * SQLite re-prepares a statement by itself after a schema change.
 */
function withStatementCache(connection: SqliteConnection, max = 200): SqliteConnection {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement !== undefined) {
        // Most recently used last, so the first entry is the one to evict.
        cache.delete(sql);
      } else {
        statement = connection.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
    exec: (sql) => connection.exec(sql),
    close() {
      cache.clear();
      connection.close();
    },
  };
}
