import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Per-user licensing: named users attached to a license (at most `max_users`). When a license has named
 * users, activations name one of them and `max_machines` counts per user.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('max_users', 'integer').execute();
  await db.schema.alterTable('licenses').addColumn('max_users', 'integer').execute();
  await db.schema
    .createTable('license_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('license_users_identifier_unique', ['license_id', 'identifier'])
    .execute();
  await db.schema.alterTable('machines').addColumn('license_user_id', 'text').execute();
  await db.schema.createIndex('machines_license_user_idx').on('machines').column('license_user_id').execute();
}
