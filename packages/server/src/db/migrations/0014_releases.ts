import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Releases of a product (issue 5, first part).
 *
 * One row per product and version (`releases_product_version_uq`). The semver is stored as written and
 * ordered in code (pre-releases need semver's own rules); `channel` is one of stable, rc, beta, alpha, dev.
 * `status` is draft → published ⇄ yanked. Artifacts (next part) reference `releases.id`.
 */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('doc_links', json, (c) => c.notNull())
    .addColumn('video_url', 'text')
    .addColumn('requirements', json, (c) => c.notNull())
    .addColumn('published_at', ts)
    .addColumn('yanked_at', ts)
    .addColumn('yank_reason', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('releases_product_version_uq', ['product_id', 'version'])
    .execute();
  await db.schema.createIndex('releases_product_status_idx').on('releases').columns(['product_id', 'status']).execute();
}
