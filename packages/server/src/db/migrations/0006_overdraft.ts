import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Seat overdraft per policy: {seats} extra or a {factor} of the limit, or null. */
export async function up(db: Kysely<any>, { json }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('overdraft', json, (c) => c.notNull().defaultTo('null')).execute();
}
