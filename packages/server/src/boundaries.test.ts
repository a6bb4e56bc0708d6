import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The module boundaries of the server, checked on every `npm test`:
 * - the dependency rule of `.dependency-cruiser.cjs` (no cycles, no other module's repository or table
 *   types, infrastructure below the modules), run with dependency-cruiser;
 * - table ownership: a module's queries name only the tables its `<module>.tables.ts` declares.
 */

const src = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(src, '../../..');
const modulesDir = path.join(src, 'modules');

/**
 * Queries that knowingly cross a boundary, each with its reason: `module: table` for any file of the
 * module, or `module/file.ts: table` (path relative to modules/) for that one file only. Keep this short:
 * the fix is a call to the owning module's service, or a hook the owner installs through its wiring.
 * The module-wide entries are the ones issue 13 has not removed yet (see its note); none may be added.
 */
const CROSSINGS: Record<string, string> = {
  // The client hot path's license lookup: one query compiled once per database handle (issue 17 caches it).
  'licenses/lookup.repository.ts: products': 'validation lookup joins the product for its code (one indexed query per client request)',
  'licenses/lookup.repository.ts: policies': 'validation lookup joins the policy for its domain, overdraft and expiry rules (same query)',
  'licenses/lookup.repository.ts: machines': 'validation lookup counts live seats in SQL with the seats.ts rule (same query)',
  // A customer's visible products are a SQL subquery composed into every scoped product read.
  'products: licenses': 'customerProductIds: products a customer licenses, as a subquery of the scope filter',
  // Sweeps that walk licenses by expiry with an anti-join on their own tables, inside one transaction.
  'notifications: licenses': 'reminder sweep and expiry alerts walk licenses by expiry (keyset + anti-join)',
  'notifications: products': 'alert mail names the product, read inside the event’s transaction',
  'notifications: customers': 'alert mail names the customer, read inside the event’s transaction',
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [file] : [];
  });
}

/** Table name → owning module, from db/schema.ts (table → row type) and the modules' tables files. */
function owners(): Map<string, string> {
  const typeOwner = new Map<string, string>();
  for (const module of readdirSync(modulesDir)) {
    const file = path.join(modulesDir, module, `${module}.tables.ts`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const [, type] of text.matchAll(/export interface (\w+)/g)) typeOwner.set(type!, module);
  }
  const schema = readFileSync(path.join(src, 'db/schema.ts'), 'utf8');
  const database = schema.slice(schema.indexOf('export interface Database'));
  const owner = new Map<string, string>();
  for (const [, table, type] of database.matchAll(/^\s+(\w+): (\w+);/gm)) {
    const module = typeOwner.get(type!);
    if (module) owner.set(table!, module);
  }
  return owner;
}

/** Tables a source file queries: Kysely calls naming a table, and tables named in raw SQL. */
export function tablesQueried(text: string): Set<string> {
  const tables = new Set<string>();
  const call = /\.(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto|with)\(\s*['"`](\w+)/g;
  for (const [, table] of text.matchAll(call)) tables.add(table!);
  for (const [, body] of text.matchAll(/sql(?:<[^`]*?>)?`([^`]*)`/g)) {
    for (const [, table] of body!.matchAll(/\b(?:from|join|update|into)\s+"?(\w+)/gi)) tables.add(table!);
  }
  return tables;
}

describe('module boundaries', () => {
  test('the dependency rule holds: no cycles, no other module’s repository or tables, infrastructure below the modules', async () => {
    const bin = path.join(root, 'node_modules/.bin/depcruise');
    const run = promisify(execFile);
    try {
      await run(bin, ['packages/server/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`dependency-cruiser found violations (rules in .dependency-cruiser.cjs):\n${stdout ?? ''}${stderr ?? ''}`);
    }
  });

  test('each module queries only its own tables', () => {
    const owner = owners();
    assert.ok(owner.size > 30, 'the table owners were read from db/schema.ts and the <module>.tables.ts files');
    const found: string[] = [];
    const used = new Set<string>();
    for (const file of sources(modulesDir)) {
      const relative = path.relative(modulesDir, file).split(path.sep).join('/');
      const module = relative.split('/')[0]!;
      for (const table of tablesQueried(readFileSync(file, 'utf8'))) {
        const tableOwner = owner.get(table);
        if (tableOwner === undefined || tableOwner === module) continue;
        const crossing = [`${relative}: ${table}`, `${module}: ${table}`].find((key) => CROSSINGS[key]);
        if (crossing) {
          used.add(crossing);
          continue;
        }
        found.push(`${path.relative(src, file)} queries ${table} (owned by ${tableOwner})`);
      }
    }
    assert.deepEqual(found, [], `modules query other modules' tables; call the owner's service instead:\n${found.join('\n')}`);
    const stale = Object.keys(CROSSINGS).filter((crossing) => !used.has(crossing));
    assert.deepEqual(stale, [], 'CROSSINGS lists crossings that no longer happen: remove them');
  });

  test('the table scan sees Kysely calls and raw SQL', () => {
    const seen = tablesQueried("db.selectFrom('licenses').innerJoin('machines', …); sql`SELECT 1 FROM users u JOIN sessions s`");
    assert.deepEqual([...seen].sort(), ['licenses', 'machines', 'sessions', 'users']);
  });
});
