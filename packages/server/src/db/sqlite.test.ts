import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { ConfigError, loadConfig } from '../config.js';
import { isForeignKeyViolation, isUniqueViolation, openDatabase, type DatabaseHandle } from './database.js';
import { defaultSqliteDriver, SQLITE_DRIVERS, sqliteDriverProblem, type SqliteDriver } from './sqlite.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const available = SQLITE_DRIVERS.filter((driver) => sqliteDriverProblem(driver) === null);

function betterSqlite3Loaded(): boolean {
  return Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`${path.sep}better-sqlite3${path.sep}`));
}

describe(`SQLite drivers on Node.js ${process.versions.node}`, () => {
  test('the default is node:sqlite where it runs (22.16+, 24), better-sqlite3 on Node 20; opening it never loads better-sqlite3 on 22/24', async () => {
    const expected: SqliteDriver = NODE_MAJOR >= 24 || (NODE_MAJOR === 22 && available.includes('node-sqlite')) ? 'node-sqlite' : 'better-sqlite3';
    assert.equal(defaultSqliteDriver(), expected);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-driver-'));
    try {
      const handle = openDatabase({ dialect: 'sqlite', file: path.join(dir, 'k.sqlite') });
      assert.equal(handle.sqliteDriver, expected);
      assert.deepEqual(await sql<{ one: number }>`select 1 as one`.execute(handle.db).then((r) => r.rows), [{ one: 1 }]);
      await handle.close();
      assert.equal(betterSqlite3Loaded(), expected === 'better-sqlite3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a driver this runtime cannot run is refused with the reason, in the configuration and when opening', () => {
    const refused: SqliteDriver = NODE_MAJOR >= 24 ? 'better-sqlite3' : NODE_MAJOR === 20 ? 'node-sqlite' : 'better-sqlite3';
    if (NODE_MAJOR === 22) {
      // Node 22 can run both (22.16+): nothing is refused there.
      assert.deepEqual(available, available.includes('node-sqlite') ? ['node-sqlite', 'better-sqlite3'] : ['better-sqlite3']);
      return;
    }
    assert.ok(!available.includes(refused));
    assert.match(sqliteDriverProblem(refused)!, NODE_MAJOR >= 24 ? /aborts the process/ : /node:sqlite is not available/);
    assert.throws(() => openDatabase({ dialect: 'sqlite', file: ':memory:', driver: refused }), new RegExp(`SQLite driver ${refused} cannot be used`));
    assert.throws(
      () => loadConfig({ KEYHAVEN_SQLITE_DRIVER: refused, KEYHAVEN_MASTER_KEY: Buffer.alloc(32).toString('base64') }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith(`KEYHAVEN_SQLITE_DRIVER=${refused} cannot be used here`)),
    );
  });

  test('KEYHAVEN_SQLITE_DRIVER: a supported value is passed on; an unknown one is a configuration problem', () => {
    const env = { KEYHAVEN_MASTER_KEY: Buffer.alloc(32).toString('base64') };
    assert.equal((loadConfig(env).database as { driver?: string }).driver, undefined);
    for (const driver of available) assert.equal((loadConfig({ ...env, KEYHAVEN_SQLITE_DRIVER: driver }).database as { driver?: string }).driver, driver);
    assert.throws(
      () => loadConfig({ ...env, KEYHAVEN_SQLITE_DRIVER: 'sqlite3' }),
      (error: unknown) => error instanceof ConfigError && error.problems.includes('KEYHAVEN_SQLITE_DRIVER must be node-sqlite or better-sqlite3 (got "sqlite3")'),
    );
  });

  test('a process that prepares, evicts and garbage-collects many statements, then exits, exits cleanly (better-sqlite3 12 aborted on Node 24); only the node:sqlite warning is dropped', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-driver-'));
    const script = `
      import { openDatabase } from './database.js';
      import { sql } from 'kysely';
      const handle = openDatabase({ dialect: 'sqlite', file: ${JSON.stringify(path.join(dir, 'k.sqlite'))} });
      for (let i = 0; i < 600; i++) await sql.raw('select ' + i + ' as n').execute(handle.db);
      globalThis.gc();
      await handle.close();
      for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)); }
      process.emitWarning('a warning of our own', 'ExperimentalWarning');
      console.log('done');
    `;
    try {
      const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: HERE, encoding: 'utf8', timeout: 60_000 });
      assert.equal(res.signal, null, res.stderr);
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout.trim(), 'done');
      assert.doesNotMatch(res.stderr, /Assertion failed/);
      // Node 22 announces node:sqlite with an ExperimentalWarning: that one is dropped, no other.
      assert.doesNotMatch(res.stderr, /SQLite is an experimental feature/);
      assert.match(res.stderr, /ExperimentalWarning: a warning of our own/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const driver of available) {
  describe(`SQLite through ${driver}`, () => {
    let dir: string;
    let handle: DatabaseHandle;
    let db: Kysely<any>;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-driver-'));
      handle = openDatabase({ dialect: 'sqlite', file: path.join(dir, 'k.sqlite'), driver });
      db = handle.db as unknown as Kysely<any>;
      await sql`create table parent (id integer primary key, name text not null unique)`.execute(db);
      await sql`create table child (id integer primary key autoincrement, parent_id integer not null references parent(id), amount real, data blob, note text)`.execute(db);
    });
    after(async () => {
      await handle?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the pragmas hold: WAL, synchronous FULL, foreign keys, a 5 s busy timeout', async () => {
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
      assert.deepEqual([await pragma('journal_mode'), await pragma('synchronous'), await pragma('foreign_keys'), await pragma('busy_timeout')], ['wal', 2, 1, 5000]);
    });

    test('values come back as better-sqlite3 gives them: plain objects, numbers, text, null, Buffers; changes and insert ids', async () => {
      const inserted = await db.insertInto('parent').values({ name: 'p1' }).executeTakeFirstOrThrow();
      assert.equal(inserted.insertId, 1n);
      const returned = await db.insertInto('child').values({ parent_id: 1, amount: 2.5, data: Buffer.from([0, 1, 255]), note: null }).returningAll().executeTakeFirstOrThrow();
      assert.equal(Object.getPrototypeOf(returned), Object.prototype);
      assert.deepStrictEqual(returned, { id: 1, parent_id: 1, amount: 2.5, data: Buffer.from([0, 1, 255]), note: null });
      assert.ok(Buffer.isBuffer(returned.data));
      await db.insertInto('child').values([{ parent_id: 1, amount: 1 }, { parent_id: 1, amount: 3 }]).execute();
      const updated = await db.updateTable('child').set({ note: 'n' }).where('amount', '>', 1).executeTakeFirstOrThrow();
      assert.equal(updated.numUpdatedRows, 2n);
      const counted = await db.selectFrom('child').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('amount').as('total')]).executeTakeFirstOrThrow();
      assert.deepStrictEqual(counted, { n: 3, total: 6.5 });
      const streamed = [];
      for await (const row of db.selectFrom('child').select(['id', 'note']).orderBy('id').stream()) streamed.push(row);
      assert.deepStrictEqual(streamed, [{ id: 1, note: 'n' }, { id: 2, note: null }, { id: 3, note: 'n' }]);
    });

    test('constraint violations carry the SQLite codes isUniqueViolation and isForeignKeyViolation read', async () => {
      const unique = await db.insertInto('parent').values({ name: 'p1' }).execute().catch((e: unknown) => e);
      assert.ok(isUniqueViolation(unique), String(unique));
      const primary = await db.insertInto('parent').values({ id: 1, name: 'other' }).execute().catch((e: unknown) => e);
      assert.ok(isUniqueViolation(primary), String(primary));
      const foreign = await db.insertInto('child').values({ parent_id: 999 }).execute().catch((e: unknown) => e);
      assert.ok(isForeignKeyViolation(foreign), String(foreign));
      assert.ok(!isUniqueViolation(foreign));
      const notNull = await db.insertInto('parent').values({ name: null }).execute().catch((e: unknown) => e);
      assert.equal((notNull as { code?: string }).code, 'SQLITE_CONSTRAINT_NOTNULL');
      assert.match((notNull as Error).message, /NOT NULL constraint failed: parent\.name/);
    });

    test('transactions commit and roll back through Kysely; a second connection reads the last commit meanwhile (WAL)', async () => {
      const other = openDatabase({ dialect: 'sqlite', file: path.join(dir, 'k.sqlite'), driver });
      try {
        const names = async (on: Kysely<any>) => (await on.selectFrom('parent').select('name').orderBy('id').execute()).map((r) => r.name);
        await db.transaction().execute(async (trx) => {
          await trx.insertInto('parent').values({ name: 'p2' }).execute();
          assert.deepEqual(await names(other.db as unknown as Kysely<any>), ['p1'], 'the other connection does not see uncommitted rows');
        });
        assert.deepEqual(await names(other.db as unknown as Kysely<any>), ['p1', 'p2']);
        const failed = await db.transaction().execute(async (trx) => {
          await trx.insertInto('parent').values({ name: 'p3' }).execute();
          await trx.insertInto('parent').values({ name: 'p1' }).execute();
        }).catch((e: unknown) => e);
        assert.ok(isUniqueViolation(failed));
        assert.deepEqual(await names(db), ['p1', 'p2'], 'the whole transaction rolled back');
        await other.db.insertInto('parent' as never).values({ name: 'from-other' } as never).execute();
        assert.deepEqual(await names(db), ['p1', 'p2', 'from-other']);
      } finally {
        await other.close();
      }
    });

    test('more statements than the statement cache holds: evicted ones are prepared again and still answer', async () => {
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 250; i++) {
          const row = (await sql.raw(`select ${i} as n, name from parent where id = 1`).execute(db)).rows[0];
          assert.deepStrictEqual(row, { n: i, name: 'p1' });
        }
      }
    });
  });
}
