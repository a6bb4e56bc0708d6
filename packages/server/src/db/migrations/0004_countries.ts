import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Allowed countries (ISO 3166-1 alpha-2) on policies and licenses; an empty list allows every country. */
export async function up(db: Kysely<any>, { json }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('countries', json, (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('licenses').addColumn('countries', json, (c) => c.notNull().defaultTo('[]')).execute();
}
