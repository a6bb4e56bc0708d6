import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { RenewalsTable } from './subscriptions.tables.js';
import { partnerCustomerIds } from '../customers/customers.access.js';
import { licenseIdsCreditedTo } from '../licenses/licenses.access.js';
import type { Actor } from '../../http/access.js';

export const RENEWAL_SOURCES = ['auto', 'manual', 'billing'] as const;
export type RenewalSource = (typeof RENEWAL_SOURCES)[number];

/** One renewed term, as billing reports read it. */
export interface Renewal {
  id: string;
  licenseId: string;
  customerId: string | null;
  productId: string;
  fromExpiry: string;
  toExpiry: string;
  /** Minor units (cents); null when unknown. */
  price: number | null;
  currency: string | null;
  source: RenewalSource;
  /** The billing system's id for it (an invoice id), when it came from one. */
  reference: string | null;
  actor: { type: string; id: string | null };
  at: string;
}

export interface RenewalFilter {
  /** Renewals made at or after / before these instants. */
  from?: string;
  to?: string;
  productId?: string;
  customerId?: string;
  licenseId?: string;
  /** Renewals of this partner's customers. */
  partnerId?: string;
  source?: RenewalSource;
  limit: number;
  cursor?: string;
}

export function toRenewal(row: Selectable<RenewalsTable>): Renewal {
  return {
    id: row.id,
    licenseId: row.license_id,
    customerId: row.customer_id,
    productId: row.product_id,
    fromExpiry: toIso(row.from_expiry),
    toExpiry: toIso(row.to_expiry),
    price: row.price === null ? null : Number(row.price),
    currency: row.currency,
    source: row.source as RenewalSource,
    reference: row.reference,
    actor: { type: row.actor_type, id: row.actor_id },
    at: toIso(row.at),
  };
}

export async function insertRenewal(db: Executor, r: Renewal): Promise<void> {
  await db
    .insertInto('renewals')
    .values({
      id: r.id,
      license_id: r.licenseId,
      customer_id: r.customerId,
      product_id: r.productId,
      from_expiry: r.fromExpiry,
      to_expiry: r.toExpiry,
      price: r.price,
      currency: r.currency,
      source: r.source,
      reference: r.reference,
      actor_type: r.actor.type,
      actor_id: r.actor.id,
      at: r.at,
    })
    .execute();
}

export async function findRenewalByReference(db: Executor, licenseId: string, reference: string): Promise<Renewal | undefined> {
  const row = await db.selectFrom('renewals').selectAll().where('license_id', '=', licenseId).where('reference', '=', reference).executeTakeFirst();
  return row && toRenewal(row);
}

/** Renewals within what the actor may see (customers: their own; partners: their products), newest first. */
export async function listRenewalRows(db: Executor, actor: Actor, filter: RenewalFilter): Promise<Renewal[]> {
  let query = db.selectFrom('renewals').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
  if (actor.scope.customerId !== undefined) query = query.where('customer_id', '=', actor.scope.customerId);
  const { partnerId } = actor.scope;
  if (partnerId !== undefined) query = query.where((eb) => eb('customer_id', 'in', partnerCustomerIds(eb, partnerId)));
  if (actor.scope.productIds !== undefined) query = query.where('product_id', 'in', actor.scope.productIds.length > 0 ? [...actor.scope.productIds] : ['']);
  if (filter.from) query = query.where('at', '>=', new Date(filter.from).toISOString());
  if (filter.to) query = query.where('at', '<', new Date(filter.to).toISOString());
  if (filter.productId) query = query.where('product_id', '=', filter.productId);
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
  if (filter.licenseId) query = query.where('license_id', '=', filter.licenseId);
  const byPartner = filter.partnerId;
  if (byPartner) query = query.where((eb) => eb('customer_id', 'in', partnerCustomerIds(eb, byPartner)));
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return (await query.execute()).map(toRenewal);
}

/**
 * Renewals made in [from, to) of the licenses credited to a partner (`licenseIdsCreditedTo`), within what
 * the actor may see: how many, and the amounts per currency (minor units; renewals without a price count
 * but add nothing).
 */
export async function countRenewalsCreditedTo(
  db: Executor,
  actor: Actor,
  q: { partnerId: string; from: string; to: string },
): Promise<{ renewals: number; amounts: Array<{ currency: string; amount: number }> }> {
  let query = db
    .selectFrom('renewals')
    .select((eb) => ['currency', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('price').as('amount')])
    .where('at', '>=', q.from)
    .where('at', '<', q.to)
    .where((eb) => eb('license_id', 'in', licenseIdsCreditedTo(eb, q.partnerId)))
    .groupBy('currency');
  if (actor.scope.customerId !== undefined) query = query.where('customer_id', '=', actor.scope.customerId);
  if (actor.scope.productIds !== undefined) query = query.where('product_id', 'in', actor.scope.productIds.length > 0 ? [...actor.scope.productIds] : ['']);
  const rows = await query.execute();
  return {
    renewals: rows.reduce((sum, r) => sum + Number(r.n), 0),
    amounts: rows.filter((r) => r.currency !== null && r.amount !== null).map((r) => ({ currency: r.currency!, amount: Number(r.amount) })),
  };
}
