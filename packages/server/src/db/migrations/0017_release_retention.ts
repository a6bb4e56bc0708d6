import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Release retention (issue 5): per-product settings, and artifacts that are removed but still listed.
 *
 * `release_retention` has at most one row per product (deleted with it); a null limit means "no limit of
 * that kind", and both null keep everything, as does no row. A removed artifact keeps its row (status
 * `removed`, when and why) so the release still shows what it had and its download record still points
 * somewhere; only the file is deleted.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('release_retention')
    .addColumn('product_id', 'text', (c) => c.primaryKey().references('products.id').onDelete('cascade'))
    .addColumn('keep_versions', 'integer')
    .addColumn('keep_days', 'integer')
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.alterTable('artifacts').addColumn('removed_at', ts).execute();
  await db.schema.alterTable('artifacts').addColumn('removed_reason', 'text').execute();
}
