import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Product groups, partners and partner users (issue 14).
 * - `product_groups` / `product_group_products`: named sets of products (a product may be in several),
 *   ordered by `position` for selection screens.
 * - `partners` / `partner_grants`: a partner (reseller, distributor) and its rights (JSON array) per group.
 * - `users.partner_id`: a partner user's partner. `customers.partner_id`: the partner a customer belongs to
 *   (created by it or assigned by staff). `licenses.sold_by` / `licenses.created_by`: the partner that
 *   sold a license and the acting user (its label), null for licenses from before.
 */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('product_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('product_group_products')
    .addColumn('group_id', 'text', (c) => c.notNull().references('product_groups.id').onDelete('cascade'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('product_group_products_pk', ['group_id', 'product_id'])
    .execute();
  await db.schema.createIndex('product_group_products_product_idx').on('product_group_products').column('product_id').execute();
  await db.schema
    .createTable('partners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('partner_grants')
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('product_group_id', 'text', (c) => c.notNull().references('product_groups.id'))
    .addColumn('rights', json, (c) => c.notNull())
    .addPrimaryKeyConstraint('partner_grants_pk', ['partner_id', 'product_group_id'])
    .execute();
  await db.schema.createIndex('partner_grants_group_idx').on('partner_grants').column('product_group_id').execute();
  await db.schema.alterTable('users').addColumn('partner_id', 'text', (c) => c.references('partners.id')).execute();
  await db.schema.createIndex('users_partner_idx').on('users').column('partner_id').execute();
  await db.schema.alterTable('customers').addColumn('partner_id', 'text', (c) => c.references('partners.id')).execute();
  await db.schema.createIndex('customers_partner_idx').on('customers').columns(['partner_id', 'id']).execute();
  await db.schema.alterTable('licenses').addColumn('sold_by', 'text', (c) => c.references('partners.id')).execute();
  await db.schema.alterTable('licenses').addColumn('created_by', 'text').execute();
  await db.schema.createIndex('licenses_sold_by_idx').on('licenses').columns(['sold_by', 'id']).execute();
}
