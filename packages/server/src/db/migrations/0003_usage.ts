import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Metered features: meter definitions on policies and licenses, and one counter per license and feature. */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('meters', json, (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('licenses').addColumn('meters', json, (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema
    .createTable('usage_counters')
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('feature', 'text', (c) => c.notNull())
    .addColumn('used', 'bigint', (c) => c.notNull())
    .addColumn('period_start', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_counters_pk', ['license_id', 'feature'])
    .execute();
}
