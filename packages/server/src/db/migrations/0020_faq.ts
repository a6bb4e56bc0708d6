import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * FAQ entries for the customer portal (issue 6). `answer` is Markdown; `product_id` null means a general
 * entry; `position` orders entries; unpublished entries are visible to staff only.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('faq_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) => c.references('products.id').onDelete('cascade'))
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('published', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('faq_entries_position_idx').on('faq_entries').columns(['position', 'id']).execute();
}
