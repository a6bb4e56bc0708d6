import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Groups of people and tickets (issue 14).
 * - `customer_groups`: groups of a customer organization's users (departments), each with a `visibility`:
 *   who of the group sees a ticket allocated to the group but to no person (`members` or `admins`).
 *   A group goes with its organization.
 * - `customer_group_members`: who is in a group, and whether as its admin (0/1).
 * - `licenses.allocated_group_id`, `licenses.allocated_user_id`: the license's allocation (its "ticket"):
 *   both null → the organization; a group; a named user (with the group they hold it through, if any).
 *   Deleting a group returns its tickets to the organization through the licenses module's hook (audited);
 *   the foreign keys' `set null` is only the safety net.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('customer_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('customer_groups_name_unique', ['customer_id', 'name'])
    .execute();
  await db.schema
    .createTable('customer_group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('customer_groups.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('admin', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_group_members_pk', ['group_id', 'user_id'])
    .execute();
  // The visibility subqueries start from the person.
  await db.schema.createIndex('customer_group_members_user_idx').on('customer_group_members').columns(['user_id', 'group_id']).execute();
  await db.schema.alterTable('licenses').addColumn('allocated_group_id', 'text', (c) => c.references('customer_groups.id').onDelete('set null')).execute();
  await db.schema.alterTable('licenses').addColumn('allocated_user_id', 'text', (c) => c.references('users.id').onDelete('set null')).execute();
  await db.schema.createIndex('licenses_allocated_group_idx').on('licenses').column('allocated_group_id').execute();
  await db.schema.createIndex('licenses_allocated_user_idx').on('licenses').column('allocated_user_id').execute();
}
