import { toIso, type Executor } from '../../db/database.js';
import type { Subscription } from '../policies/subscription.js';
import { subscriptionColumns, toSubscription } from './licenses.repository.js';

/** A due auto-renewal the sweep found: the license and the expiry it read (the renewal is conditional on it). */
export interface DueRenewal {
  id: string;
  expiresAt: string;
  customerId: string | null;
  productId: string;
}

/**
 * Subscriptions Keyhaven renews whose term ends before `until`, oldest expiry first, after the keyset
 * position `after` (expiry, id). Uses `licenses_renewal_idx` (auto_renew, expires_at).
 */
export async function findDueRenewals(db: Executor, until: string, after: { expiresAt: string; id: string } | undefined, limit: number): Promise<DueRenewal[]> {
  let query = db
    .selectFrom('licenses')
    .select(['id', 'expires_at', 'customer_id', 'product_id'])
    .where('auto_renew', '=', 1)
    .where('expires_at', '<=', until)
    .where('renewed_by', '=', 'keyhaven')
    .where('revoked_at', 'is', null)
    .where('suspended_at', 'is', null)
    .orderBy('expires_at')
    .orderBy('id')
    .limit(limit);
  if (after) {
    query = query.where((eb) => eb.or([eb('expires_at', '>', after.expiresAt), eb.and([eb('expires_at', '=', after.expiresAt), eb('id', '>', after.id)])]));
  }
  const rows = await query.execute();
  return rows.map((r) => ({ id: r.id, expiresAt: toIso(r.expires_at!), customerId: r.customer_id, productId: r.product_id }));
}

/** A license an expiry sweep found, with the expiry it read (the keyset position of its page). */
export interface ExpiringLicense {
  id: string;
  name: string;
  type: string;
  startsAt: string;
  expiresAt: string;
  customerId: string | null;
  productId: string;
}

/** Which licenses an expiry sweep walks; revoked and suspended licenses are never in it. */
export interface ExpiryWindow {
  /** Expiries strictly after this instant ... */
  after: string;
  /** ... and at or before this one. */
  until: string;
  /** Only licenses that belong to a customer. */
  withCustomer: boolean;
  /** Auto-renewing subscriptions too (they do not lapse). */
  autoRenewing: boolean;
}

/**
 * Licenses expiring inside `window`, in (expires_at, id) order after the keyset position `after`. Walks
 * `licenses_expires_id_idx`.
 */
export async function findExpiring(db: Executor, window: ExpiryWindow, after: { expiresAt: string; id: string } | undefined, limit: number): Promise<ExpiringLicense[]> {
  let query = db
    .selectFrom('licenses')
    .select(['id', 'name', 'type', 'starts_at', 'expires_at', 'customer_id', 'product_id'])
    .where('expires_at', '>', window.after)
    .where('expires_at', '<=', window.until)
    .where('revoked_at', 'is', null)
    .where('suspended_at', 'is', null)
    .orderBy('expires_at')
    .orderBy('id')
    .limit(limit);
  if (window.withCustomer) query = query.where('customer_id', 'is not', null);
  if (!window.autoRenewing) query = query.where((eb) => eb.or([eb('auto_renew', 'is', null), eb('auto_renew', '=', 0)]));
  if (after) {
    query = query.where((eb) => eb.or([eb('expires_at', '>', after.expiresAt), eb.and([eb('expires_at', '=', after.expiresAt), eb('id', '>', after.id)])]));
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    type: r.type,
    startsAt: toIso(r.starts_at),
    expiresAt: toIso(r.expires_at!),
    customerId: r.customer_id,
    productId: r.product_id,
  }));
}

/** The columns a renewal moves. */
export interface NextTerm {
  expiresAt: string;
  graceEndsAt: string | null;
  termStartsAt: string;
  updatedAt: string;
}

/**
 * Moves a subscription to its next term, conditionally on the expiry the caller read: of several workers
 * (or a retry) renewing the same term, exactly one updates the row; the others get false.
 */
export async function advanceTerm(
  db: Executor,
  licenseId: string,
  fromExpiry: string,
  next: NextTerm,
): Promise<boolean> {
  const result = await db
    .updateTable('licenses')
    .set({ expires_at: next.expiresAt, grace_ends_at: next.graceEndsAt, term_starts_at: next.termStartsAt, updated_at: next.updatedAt })
    .where('id', '=', licenseId)
    .where('expires_at', '=', fromExpiry)
    .where('auto_renew', '=', 1)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A subscription license whose first term waits for its first activation (no term start, no expiry yet). */
export async function findWaitingTerm(db: Executor, licenseId: string): Promise<{ subscription: Subscription | null; graceDays: number; customerId: string | null } | undefined> {
  const row = await db
    .selectFrom('licenses')
    .select(['subscription', 'auto_renew', 'renewed_by', 'cancelled_at', 'term_starts_at', 'expires_at', 'grace_days', 'customer_id'])
    .where('id', '=', licenseId)
    .where('term_starts_at', 'is', null)
    .where('subscription', 'is not', null)
    .where('expires_at', 'is', null)
    .executeTakeFirst();
  return row && { subscription: toSubscription(row), graceDays: row.grace_days, customerId: row.customer_id };
}

/**
 * Starts the waiting first term, conditionally on it still waiting: of two concurrent first activations,
 * exactly one updates the row; the other gets false.
 */
export async function startWaitingTerm(
  db: Executor,
  licenseId: string,
  started: { subscription: Subscription; expiresAt: string; graceEndsAt: string | null; updatedAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('licenses')
    .set({ ...subscriptionColumns(started.subscription), expires_at: started.expiresAt, grace_ends_at: started.graceEndsAt, updated_at: started.updatedAt })
    .where('id', '=', licenseId)
    .where('term_starts_at', 'is', null)
    .where('expires_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
