import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Executor, Trx } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { OrderItemsTable, OrdersTable } from './orders.tables.js';
import { partnerCustomerIds } from '../customers/customers.access.js';
import type { Actor } from '../../http/access.js';

export const ORDER_SOURCES = ['api', 'manual', 'stripe'] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];

export interface OrderBilling {
  invoiceUrl: string | null;
  paymentStatus: string | null;
  purchaseMethod: string | null;
  reference: string | null;
}

export interface OrderItem {
  policyId: string;
  productId: string;
  /** The license issued for this line. */
  licenseId: string;
  /** Seats bought: the license allows the policy's seats times this. */
  quantity: number;
  name: string | null;
  /** Line total in minor units (cents). */
  price: number | null;
  currency: string | null;
}

/** A recorded purchase: who bought what, and the licenses it produced. */
export interface Order {
  id: string;
  source: OrderSource;
  externalId: string;
  customerId: string;
  /** The buyer's portal user (created by the order or found by e-mail); null when the e-mail belongs to staff. */
  userId: string | null;
  email: string;
  customerName: string | null;
  company: string | null;
  items: OrderItem[];
  /** Minor units (cents); null unless every line has a price in one currency. */
  total: number | null;
  currency: string | null;
  billing: OrderBilling;
  /** The shop's subscription id (Stripe `sub_…`) when the purchase started a subscription. */
  subscriptionRef: string | null;
  /** The confirmation mails in the outbox (one per license); empty when none was sent. */
  mailIds: string[];
  metadata: Record<string, unknown>;
  createdAt: string;
}

/** An order with what only the service needs to know about it. */
export interface StoredOrder extends Order {
  requestHash: string;
}

type OrderRow = Selectable<OrdersTable>;
type ItemRow = Selectable<OrderItemsTable>;

function toItem(row: ItemRow): OrderItem {
  return {
    policyId: row.policy_id,
    productId: row.product_id,
    licenseId: row.license_id,
    quantity: row.quantity,
    name: row.name,
    price: row.price === null ? null : Number(row.price),
    currency: row.currency,
  };
}

function toOrder(row: OrderRow, items: ItemRow[]): StoredOrder {
  return {
    id: row.id,
    source: row.source as OrderSource,
    externalId: row.external_id,
    requestHash: row.request_hash,
    customerId: row.customer_id,
    userId: row.user_id,
    email: row.email,
    customerName: row.customer_name,
    company: row.company,
    items: items.sort((a, b) => a.position - b.position).map(toItem),
    total: row.total === null ? null : Number(row.total),
    currency: row.currency,
    billing: parseJson(row.billing, { invoiceUrl: null, paymentStatus: null, purchaseMethod: null, reference: null }),
    subscriptionRef: row.subscription_ref,
    mailIds: parseJson(row.mail_ids, []),
    metadata: parseJson(row.metadata, {}),
    createdAt: toIso(row.created_at),
  };
}

/** Customers see their own organization's orders only; a partner the orders of its own customers. */
function scoped<O>(query: SelectQueryBuilder<Database, 'orders', O>, actor: Actor) {
  if (actor.scope.customerId !== undefined) return query.where('orders.customer_id', '=', actor.scope.customerId);
  const { partnerId } = actor.scope;
  if (partnerId !== undefined) return query.where((eb) => eb('orders.customer_id', 'in', partnerCustomerIds(eb, partnerId)));
  return query;
}

async function withItems(db: Executor, rows: OrderRow[]): Promise<StoredOrder[]> {
  if (rows.length === 0) return [];
  const items = await db.selectFrom('order_items').selectAll().where('order_id', 'in', rows.map((r) => r.id)).execute();
  return rows.map((row) => toOrder(row, items.filter((i) => i.order_id === row.id)));
}

/** Writes an order and its lines; fails with a unique violation when `(source, externalId)` exists. */
export async function insertOrder(trx: Trx, order: StoredOrder): Promise<void> {
  await trx
    .insertInto('orders')
    .values({
      id: order.id,
      source: order.source,
      external_id: order.externalId,
      request_hash: order.requestHash,
      customer_id: order.customerId,
      user_id: order.userId,
      email: order.email,
      customer_name: order.customerName,
      company: order.company,
      total: order.total,
      currency: order.currency,
      billing: JSON.stringify(order.billing),
      subscription_ref: order.subscriptionRef,
      mail_ids: JSON.stringify(order.mailIds),
      metadata: JSON.stringify(order.metadata),
      created_at: order.createdAt,
    })
    .execute();
  await trx
    .insertInto('order_items')
    .values(
      order.items.map((item, position) => ({
        id: `${order.id}_${position}`,
        order_id: order.id,
        position,
        policy_id: item.policyId,
        product_id: item.productId,
        license_id: item.licenseId,
        quantity: item.quantity,
        name: item.name,
        price: item.price,
        currency: item.currency,
      })),
    )
    .execute();
}

/** The order a source already recorded under this id (unscoped: idempotency is per source, not per viewer). */
export async function findOrderByExternalId(db: Executor, source: OrderSource, externalId: string): Promise<StoredOrder | undefined> {
  const row = await db.selectFrom('orders').selectAll().where('source', '=', source).where('external_id', '=', externalId).executeTakeFirst();
  return row && (await withItems(db, [row]))[0];
}

export async function findOrder(db: Executor, actor: Actor, id: string): Promise<StoredOrder | undefined> {
  const row = await scoped(db.selectFrom('orders').selectAll(), actor).where('id', '=', id).executeTakeFirst();
  return row && (await withItems(db, [row]))[0];
}

export interface OrderFilter {
  customerId?: string;
  source?: OrderSource;
  externalId?: string;
  email?: string;
  licenseId?: string;
  /** Orders of this partner's customers. */
  partnerId?: string;
  limit: number;
  cursor?: string;
}

export async function listOrders(db: Executor, actor: Actor, filter: OrderFilter): Promise<StoredOrder[]> {
  let query = scoped(db.selectFrom('orders').selectAll('orders'), actor).orderBy('orders.id', 'desc').limit(filter.limit + 1);
  if (filter.customerId) query = query.where('orders.customer_id', '=', filter.customerId);
  const { partnerId } = filter;
  if (partnerId) query = query.where((eb) => eb('orders.customer_id', 'in', partnerCustomerIds(eb, partnerId)));
  if (filter.source) query = query.where('orders.source', '=', filter.source);
  if (filter.externalId) query = query.where('orders.external_id', '=', filter.externalId);
  if (filter.email) query = query.where('orders.email', '=', filter.email.toLowerCase());
  if (filter.licenseId) {
    const licenseId = filter.licenseId;
    query = query.where('orders.id', 'in', (eb) => eb.selectFrom('order_items').select('order_items.order_id').where('order_items.license_id', '=', licenseId));
  }
  if (filter.cursor) query = query.where('orders.id', '<', filter.cursor);
  return withItems(db, await query.execute());
}

/** The licenses of the orders that started this shop subscription (unscoped: for integrations). */
export async function findLicenseIdsBySubscription(db: Executor, source: OrderSource, subscriptionRef: string): Promise<string[]> {
  const rows = await db
    .selectFrom('order_items')
    .innerJoin('orders', 'orders.id', 'order_items.order_id')
    .select('order_items.license_id')
    .where('orders.source', '=', source)
    .where('orders.subscription_ref', '=', subscriptionRef)
    .orderBy('order_items.license_id')
    .execute();
  return rows.map((r) => r.license_id);
}

export interface InboundEvent {
  source: string;
  eventId: string;
  type: string;
  outcome: 'processed' | 'ignored';
  detail: string | null;
  orderId: string | null;
  receivedAt: string;
}

/**
 * Claims an inbound event id inside the transaction that applies its effects: a unique violation means
 * another delivery of the same event got there first (on PostgreSQL this waits until that one commits).
 */
export async function insertInboundEvent(trx: Trx, event: InboundEvent): Promise<void> {
  await trx
    .insertInto('inbound_events')
    .values({
      source: event.source,
      event_id: event.eventId,
      type: event.type,
      outcome: event.outcome,
      detail: event.detail,
      order_id: event.orderId,
      received_at: event.receivedAt,
    })
    .execute();
}

export async function findInboundEvent(db: Executor, source: string, eventId: string): Promise<InboundEvent | undefined> {
  const row = await db.selectFrom('inbound_events').selectAll().where('source', '=', source).where('event_id', '=', eventId).executeTakeFirst();
  return (
    row && {
      source: row.source,
      eventId: row.event_id,
      type: row.type,
      outcome: row.outcome as InboundEvent['outcome'],
      detail: row.detail,
      orderId: row.order_id,
      receivedAt: toIso(row.received_at),
    }
  );
}
