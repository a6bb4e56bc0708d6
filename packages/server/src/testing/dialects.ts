import { describe } from 'node:test';
import type { Dialect } from '../db/database.js';

/** The dialects this run covers: SQLite always, PostgreSQL when scripts/test.mjs found a server. */
export function testDialects(): Dialect[] {
  const list = (process.env.KEYHAVEN_TEST_DIALECTS ?? 'sqlite').split(',').map((d) => d.trim());
  return list.filter((d): d is Dialect => d === 'sqlite' || d === 'postgres');
}

/**
 * Declares the same suite once per dialect (as kysely's own tests do). Where PostgreSQL is not
 * reachable, a skipped suite says so in the output.
 */
export function forEachDialect(name: string, body: (dialect: Dialect) => void): void {
  const dialects = testDialects();
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (dialects.includes(dialect)) describe(`${name} [${dialect}]`, () => body(dialect));
    else describe(`${name} [${dialect}]`, { skip: `${dialect} is not reachable in this run` }, () => {});
  }
}
