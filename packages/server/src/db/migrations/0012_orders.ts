import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Orders (a purchase turned into a customer, a portal user and licenses) and the inbound events of shop
 * integrations. `(source, external_id)` is unique: a repeated order id from a shop, an integration or a
 * staff member finds the order already there instead of issuing a second set of licenses, also when the
 * repeats arrive at the same moment. `inbound_events` holds the ids of the shop events already handled,
 * written in the same transaction as their effects, so a replayed event is answered without effects.
 */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    // SHA-256 of the normalized request: a repeat with different content is a conflict, not a replay.
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('customer_name', 'text')
    .addColumn('company', 'text')
    // Minor units (cents); null when a line has no price.
    .addColumn('total', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('billing', json, (c) => c.notNull())
    // The shop's subscription id (Stripe `sub_…`): subscription events find the order's licenses by it.
    .addColumn('subscription_ref', 'text')
    // The confirmation mails in the outbox (one per license), as a JSON array of ids.
    .addColumn('mail_ids', json, (c) => c.notNull())
    .addColumn('metadata', json, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('orders_external_uq', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('orders_customer_idx').on('orders').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('orders_subscription_idx').on('orders').column('subscription_ref').execute();

  await db.schema
    .createTable('order_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull().references('policies.id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('price', 'bigint')
    .addColumn('currency', 'text')
    .addUniqueConstraint('order_items_position_uq', ['order_id', 'position'])
    .execute();
  await db.schema.createIndex('order_items_license_idx').on('order_items').column('license_id').execute();

  await db.schema
    .createTable('inbound_events')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // processed | ignored
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('order_id', 'text')
    .addColumn('received_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('inbound_events_pk', ['source', 'event_id'])
    .execute();
  await db.schema.createIndex('inbound_events_received_idx').on('inbound_events').column('received_at').execute();
}
