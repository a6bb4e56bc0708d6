import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Anti-abuse: how many activations and deactivations a license may make per period, per policy. */
export async function up(db: Kysely<any>, { json }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('activation_limits', json, (c) => c.notNull().defaultTo('null')).execute();
  await db.schema.createIndex('events_target_at_idx').on('events').columns(['target_id', 'action', 'at']).execute();
}
