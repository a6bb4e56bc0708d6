import { sql } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { Actor } from '../../http/access.js';
import { partnerCustomerIds } from '../customers/customers.access.js';
import { licenseScopeFilter } from './licenses.access.js';

/**
 * How a partner is credited with a license: `sold` — it sold it (`sold_by`); `customer` — the vendor sold
 * it (`sold_by` null) to a customer that belongs to the partner. Each source is read on its own so a
 * page is one index range (`licenses_sold_by_idx`, `licenses_customer_idx`; for the subscriptions report their
 * partial twins holding subscriptions only, migration 0027), never a scan of all licenses; a
 * partner actor's product scope is checked per row (`productsAsFilter`), so it cannot turn the read into a walk
 * of every license of its products.
 */
export type CreditSource = 'sold' | 'customer';

/** A subscription license that was active in a window, with what a partner invoice names. */
export interface ActiveSubscriptionRow {
  id: string;
  customerId: string | null;
  productId: string;
  policyId: string;
  type: string;
  startsAt: string;
  termStartsAt: string | null;
  expiresAt: string | null;
  suspendedAt: string | null;
  anchorAt: string | null;
  termMonths: number | null;
  termDays: number | null;
  price: number | null;
  currency: string | null;
  soldBy: string | null;
}

/**
 * `sold_by is null`, written so no index on sold_by can serve it: the vendor's sales are most licenses, so
 * the read must go through the partner's customers (licenses_customer_idx), not through all of them.
 */
export const vendorSold = sql<boolean>`coalesce(licenses.sold_by, '') = ''`;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/**
 * Subscription licenses credited to `partnerId` (through `source`) whose subscription was active at some
 * moment of [start, end): the term had started (term_starts_at set, starts_at before `end`), the current
 * expiry (which renewals only move forward) is after `start`, and it was not revoked before `start`.
 * The subscription's anchor (first activation of activation-aligned terms) is checked by the caller.
 * Keyset paged (pass the last row of the previous page as `after`); the actor's scope narrows it (a partner actor: its own licenses and products).
 */
export async function activeSubscriptionRows(
  db: Executor,
  actor: Actor,
  q: { partnerId: string; source: CreditSource; start: string; end: string; limit: number; after?: ActiveSubscriptionRow | undefined },
): Promise<ActiveSubscriptionRow[]> {
  let query = licenseScopeFilter(db.selectFrom('licenses'), actor, { productsAsFilter: true })
    .select([
      'licenses.id',
      'licenses.customer_id',
      'licenses.product_id',
      'licenses.policy_id',
      'licenses.type',
      'licenses.starts_at',
      'licenses.term_starts_at',
      'licenses.expires_at',
      'licenses.suspended_at',
      'licenses.subscription',
      'licenses.sold_by',
    ])
    .where('licenses.subscription', 'is not', null)
    .where('licenses.term_starts_at', 'is not', null)
    .where('licenses.starts_at', '<', q.end)
    .where('licenses.expires_at', '>', q.start)
    .where((eb) => eb.or([eb('licenses.revoked_at', 'is', null), eb('licenses.revoked_at', '>', q.start)]))
    .limit(q.limit);
  const after = q.after;
  if (q.source === 'sold') {
    query = query.where('licenses.sold_by', '=', q.partnerId).orderBy('licenses.id');
    if (after) query = query.where('licenses.id', '>', after.id);
  } else {
    // Walked in (customer_id, id) order so the read is a range of licenses_customer_idx per customer of the
    // partner; in id order a database would rather scan every vendor-sold license (sold_by null).
    query = query
      .where(vendorSold)
      .where((eb) => eb('licenses.customer_id', 'in', partnerCustomerIds(eb, q.partnerId)))
      .orderBy('licenses.customer_id')
      .orderBy('licenses.id');
    if (after) query = query.where((eb) => eb(eb.refTuple('licenses.customer_id', 'licenses.id'), '>', eb.tuple(after.customerId ?? '', after.id)));
  }
  const rows = await query.execute();
  return rows.map((r) => {
    const terms = JSON.parse(r.subscription ?? '{}') as { anchorAt?: string | null; termMonths?: number | null; termDays?: number | null; price?: number | null; currency?: string | null };
    return {
      id: r.id,
      customerId: r.customer_id,
      productId: r.product_id,
      policyId: r.policy_id,
      type: r.type,
      startsAt: iso(r.starts_at)!,
      termStartsAt: iso(r.term_starts_at),
      expiresAt: iso(r.expires_at),
      suspendedAt: iso(r.suspended_at),
      anchorAt: terms.anchorAt ?? null,
      termMonths: terms.termMonths ?? null,
      termDays: terms.termDays ?? null,
      price: terms.price ?? null,
      currency: terms.currency ?? null,
      soldBy: r.sold_by,
    };
  });
}

/** Licenses (and of them trials) credited to `partnerId` through `source`, created in [from, to). */
export async function countCreatedFor(db: Executor, actor: Actor, q: { partnerId: string; source: CreditSource; from: string; to: string }): Promise<{ licenses: number; trials: number }> {
  let query = licenseScopeFilter(db.selectFrom('licenses'), actor, { productsAsFilter: true })
    .select((eb) => [eb.fn.countAll<number>().as('licenses'), eb.fn.sum<number>(eb.case().when('licenses.type', '=', 'trial').then(1).else(0).end()).as('trials')])
    .where('licenses.created_at', '>=', q.from)
    .where('licenses.created_at', '<', q.to);
  query =
    q.source === 'sold'
      ? query.where('licenses.sold_by', '=', q.partnerId)
      : query.where(vendorSold).where((eb) => eb('licenses.customer_id', 'in', partnerCustomerIds(eb, q.partnerId)));
  const row = await query.executeTakeFirstOrThrow();
  return { licenses: Number(row.licenses), trials: Number(row.trials ?? 0) };
}
