import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Settings staff edit in the console (issue 6): one row per setting that overrides its environment
 * default (reminder offsets, alert recipients, ...). `value` is JSON; no row means "the default".
 */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', json, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
}
