import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Release announcements (issue 5): one row per announced release. The unique index on `release_id`
 * is what makes "a release is announced at most once" hold when two staff members (or a retrying
 * client) announce at the same time: the second insert fails and its whole transaction, mails included,
 * rolls back. `created_by` is the actor's label, like other audit-ish columns.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('release_announcements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id'))
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('recipient_count', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('release_announcements_release_uq').on('release_announcements').columns(['release_id']).unique().execute();
}
