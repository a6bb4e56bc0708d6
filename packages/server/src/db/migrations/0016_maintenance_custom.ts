import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Maintenance licensing and custom products (issue 5, third part).
 *
 * `policies.expiry_ends`: `access` (the default: an expired license stops validating) or `updates` (the
 * maintenance model: after the expiry the license keeps working, but is offered only releases published
 * before its expiry). `products.customer_ids`: a JSON array; non-empty makes the product a custom
 * development for those customers, the only ones who see it and may hold its licenses.
 */
export async function up(db: Kysely<any>, { json }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('expiry_ends', 'text', (c) => c.notNull().defaultTo('access')).execute();
  await db.schema.alterTable('products').addColumn('customer_ids', json, (c) => c.notNull().defaultTo('[]')).execute();
}
