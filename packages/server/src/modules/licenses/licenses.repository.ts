import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { LicensesTable } from './licenses.tables.js';
import { licenseScopeFilter } from './licenses.access.js';
import { partnerCustomerIds } from '../customers/customers.access.js';
import type { Actor } from '../../http/access.js';
import type { LicenseStatus } from './license-status.js';
import type { Meter } from '../policies/meters.js';
import type { Subscription, SubscriptionTerms } from '../policies/subscription.js';
import type { Renewer } from '../policies/subscription-terms.js';

export const LICENSE_TYPES = ['commercial', 'trial', 'subscription', 'custom', 'educational', 'nfr', 'internal'] as const;
export type LicenseType = (typeof LICENSE_TYPES)[number];

export interface Billing {
  invoiceLinks: string[];
  paymentStatus: string | null;
  purchaseMethod: string | null;
  reference: string | null;
}

/**
 * Who in the customer organization a license is for (its "ticket"): the organization as a whole, a group
 * of its people, or a named user (`groupId`: the group they hold it through, whose admins still see it).
 */
export interface Allocation {
  kind: 'organization' | 'group' | 'user';
  groupId: string | null;
  userId: string | null;
}

export const ORGANIZATION_ALLOCATION: Allocation = { kind: 'organization', groupId: null, userId: null };

/** The allocation of a group and a user (either may be null). */
export function allocationOf(groupId: string | null, userId: string | null): Allocation {
  return { kind: userId !== null ? 'user' : groupId !== null ? 'group' : 'organization', groupId, userId };
}

/** A license as stored, without derived facts (status) and without the key. */
export interface LicenseRecord {
  id: string;
  keyHint: string;
  name: string;
  productId: string;
  policyId: string;
  customerId: string | null;
  type: LicenseType;
  startsAt: string;
  expiresAt: string | null;
  graceDays: number;
  graceEndsAt: string | null;
  suspendedAt: string | null;
  revokedAt: string | null;
  maxMachines: number | null;
  maxUsers: number | null;
  floating: boolean;
  heartbeatSeconds: number | null;
  features: string[];
  domains: string[];
  meters: Meter[];
  countries: string[];
  billing: Billing;
  notes: string | null;
  metadata: Record<string, unknown>;
  /** Licenses issued from subscription policies: terms and renewal state; else null. */
  subscription: Subscription | null;
  /** The ticket: organization, group or named user. */
  allocation: Allocation;
  /** The contract the license was drawn from (null: none). */
  contractId: string | null;
  /** The partner that sold the license (a partner user created it); null: the vendor. Set at creation only. */
  soldBy: string | null;
  /** Who created it (the actor's label, e.g. the user's e-mail); null for licenses from before. Set at creation only. */
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export type LicenseRow = Selectable<LicensesTable>;

export function toLicenseRecord(row: LicenseRow): LicenseRecord {
  return {
    id: row.id,
    keyHint: row.key_hint,
    name: row.name,
    productId: row.product_id,
    policyId: row.policy_id,
    customerId: row.customer_id,
    type: row.type as LicenseType,
    startsAt: toIso(row.starts_at),
    expiresAt: toIso(row.expires_at),
    graceDays: row.grace_days,
    graceEndsAt: toIso(row.grace_ends_at),
    suspendedAt: toIso(row.suspended_at),
    revokedAt: toIso(row.revoked_at),
    maxMachines: row.max_machines,
    maxUsers: row.max_users,
    floating: Boolean(row.floating),
    heartbeatSeconds: row.heartbeat_seconds,
    features: parseJson(row.features, []),
    domains: parseJson(row.domains, []),
    meters: parseJson(row.meters, []),
    countries: parseJson(row.countries, []),
    billing: parseJson(row.billing, { invoiceLinks: [], paymentStatus: null, purchaseMethod: null, reference: null }),
    notes: row.notes,
    metadata: parseJson(row.metadata, {}),
    subscription: toSubscription(row),
    allocation: allocationOf(row.allocated_group_id ?? null, row.allocated_user_id ?? null),
    contractId: row.contract_id ?? null,
    soldBy: row.sold_by,
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

export function toSubscription(row: Pick<LicenseRow, 'subscription' | 'auto_renew' | 'renewed_by' | 'cancelled_at' | 'term_starts_at'>): Subscription | null {
  const terms = parseJson<SubscriptionTerms | null>(row.subscription, null);
  if (terms === null) return null;
  return {
    ...terms,
    autoRenew: Boolean(row.auto_renew),
    renewedBy: (row.renewed_by ?? 'keyhaven') as Renewer,
    cancelledAt: toIso(row.cancelled_at),
    termStartsAt: toIso(row.term_starts_at),
  };
}

/** The subscription's columns: the terms as JSON, the state the sweeps filter on as columns of their own. */
export function subscriptionColumns(subscription: Subscription | null) {
  if (subscription === null) return { subscription: null, auto_renew: null, renewed_by: null, cancelled_at: null, term_starts_at: null };
  // Field by field: a presented subscription carries derived facts that must not be stored.
  const terms: SubscriptionTerms = {
    termMonths: subscription.termMonths,
    termDays: subscription.termDays,
    alignment: subscription.alignment,
    fiscalYearStartMonth: subscription.fiscalYearStartMonth,
    firstTerm: subscription.firstTerm,
    cancellationNoticeDays: subscription.cancellationNoticeDays,
    price: subscription.price,
    currency: subscription.currency,
    firstTermPrice: subscription.firstTermPrice,
    anchorAt: subscription.anchorAt,
  };
  return {
    subscription: JSON.stringify(terms),
    auto_renew: subscription.autoRenew ? 1 : 0,
    renewed_by: subscription.renewedBy,
    cancelled_at: subscription.cancelledAt,
    term_starts_at: subscription.termStartsAt,
  };
}

/** The columns a record writes; `grace_ends_at` is derived here so it can never disagree with its inputs. */
function toRow(r: LicenseRecord) {
  return {
    name: r.name,
    product_id: r.productId,
    policy_id: r.policyId,
    customer_id: r.customerId,
    type: r.type,
    starts_at: r.startsAt,
    expires_at: r.expiresAt,
    grace_days: r.graceDays,
    grace_ends_at: r.expiresAt === null ? null : new Date(Date.parse(r.expiresAt) + r.graceDays * 86_400_000).toISOString(),
    suspended_at: r.suspendedAt,
    revoked_at: r.revokedAt,
    max_machines: r.maxMachines,
    max_users: r.maxUsers,
    floating: r.floating ? 1 : 0,
    heartbeat_seconds: r.heartbeatSeconds,
    features: JSON.stringify(r.features),
    domains: JSON.stringify(r.domains),
    meters: JSON.stringify(r.meters),
    countries: JSON.stringify(r.countries),
    billing: JSON.stringify(r.billing),
    notes: r.notes,
    metadata: JSON.stringify(r.metadata),
    ...subscriptionColumns(r.subscription),
    allocated_group_id: r.allocation.groupId,
    allocated_user_id: r.allocation.userId,
    contract_id: r.contractId,
    updated_at: r.updatedAt,
  };
}

/** Whether any license belongs to the customer, or was issued from the policy (deletion guards). */
export async function anyLicenseOf(db: Executor, column: 'customer_id' | 'policy_id', id: string): Promise<boolean> {
  return (await db.selectFrom('licenses').select('id').where(column, '=', id).limit(1).executeTakeFirst()) !== undefined;
}

export async function insertLicense(db: Executor, record: LicenseRecord, key: { digest: string; ciphertext: string }): Promise<void> {
  await db
    .insertInto('licenses')
    .values({ id: record.id, key_digest: key.digest, key_ciphertext: key.ciphertext, key_hint: record.keyHint, sold_by: record.soldBy, created_by: record.createdBy, created_at: record.createdAt, ...toRow(record) })
    .execute();
}

export async function updateLicenseRow(db: Executor, record: LicenseRecord): Promise<void> {
  await db.updateTable('licenses').set(toRow(record)).where('id', '=', record.id).execute();
}

/** The license with this id, within the actor's scope (another organization's license is simply not found). */
export async function findLicenseRow(db: Executor, actor: Actor, id: string): Promise<LicenseRow | undefined> {
  return licenseScopeFilter(db.selectFrom('licenses').selectAll('licenses'), actor).where('licenses.id', '=', id).executeTakeFirst();
}

/** The license with this key digest, within the actor's scope: another organization's key is simply not found. */
export async function findLicenseRowByDigest(db: Executor, actor: Actor, digest: string): Promise<LicenseRow | undefined> {
  return licenseScopeFilter(db.selectFrom('licenses').selectAll('licenses'), actor).where('licenses.key_digest', '=', digest).executeTakeFirst();
}

export interface LicenseFilter {
  productId?: string;
  policyId?: string;
  customerId?: string;
  status?: LicenseStatus;
  type?: LicenseType;
  expiresBefore?: string;
  q?: string;
  /** `me`: the tickets allocated to the signed-in user by name ("my tickets"). */
  allocatedTo?: 'me';
  /** Licenses sold by this partner (`sold_by`). */
  soldBy?: string;
  /** Licenses of this partner's customers. */
  partnerId?: string;
  limit: number;
  cursor?: string;
}

/**
 * A page of licenses (one more than `filter.limit`, for the cursor). `qCustomerIds`: the customers whose
 * name or e-mail matches `filter.q`, found by the customers module; the search also finds their licenses.
 */
export async function listLicenseRows(db: Executor, actor: Actor, filter: LicenseFilter, now: Date, qCustomerIds: string[] = []): Promise<LicenseRow[]> {
  let query = licenseScopeFilter(db.selectFrom('licenses').selectAll('licenses'), actor).orderBy('licenses.id', 'desc').limit(filter.limit + 1);
  if (filter.productId) query = query.where('licenses.product_id', '=', filter.productId);
  if (filter.policyId) query = query.where('licenses.policy_id', '=', filter.policyId);
  if (filter.customerId) query = query.where('licenses.customer_id', '=', filter.customerId);
  if (filter.type) query = query.where('licenses.type', '=', filter.type);
  if (filter.soldBy) query = query.where('licenses.sold_by', '=', filter.soldBy);
  const { partnerId } = filter;
  if (partnerId) query = query.where((eb) => eb('licenses.customer_id', 'in', partnerCustomerIds(eb, partnerId)));
  // Only a signed-in user is someone a ticket can name; any other credential holds no ticket by name.
  if (filter.allocatedTo === 'me') query = query.where('licenses.allocated_user_id', '=', actor.type === 'user' && actor.id ? actor.id : '');
  // Stored timestamps are ISO-8601 UTC (text on SQLite): compare with the same form, whatever offset was sent.
  if (filter.expiresBefore) query = query.where('licenses.expires_at', '<', new Date(filter.expiresBefore).toISOString());
  if (filter.q) {
    const like = `%${filter.q.toLowerCase()}%`;
    const hint = filter.q.toUpperCase();
    // The license's name, its key's last group, or its customer's name or e-mail (support searches by who is asking).
    query = query.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['licenses.name']), 'like', like),
        eb('licenses.key_hint', '=', hint),
        ...(qCustomerIds.length > 0 ? [eb('licenses.customer_id', 'in', qCustomerIds)] : []),
      ]),
    );
  }
  if (filter.cursor) query = query.where('licenses.id', '<', filter.cursor);
  const t = now.toISOString();
  const live = () => query.where('licenses.revoked_at', 'is', null).where('licenses.suspended_at', 'is', null);
  switch (filter.status) {
    case 'revoked':
      query = query.where('licenses.revoked_at', 'is not', null);
      break;
    case 'suspended':
      query = query.where('licenses.revoked_at', 'is', null).where('licenses.suspended_at', 'is not', null);
      break;
    case 'pending':
      query = live().where('licenses.starts_at', '>', t);
      break;
    case 'expired':
      query = live().where('licenses.starts_at', '<=', t).where('licenses.grace_ends_at', '<=', t);
      break;
    case 'grace':
      query = live().where('licenses.starts_at', '<=', t).where('licenses.expires_at', '<=', t).where('licenses.grace_ends_at', '>', t);
      break;
    case 'active':
      query = live()
        .where('licenses.starts_at', '<=', t)
        .where((eb) => eb.or([eb('licenses.expires_at', 'is', null), eb('licenses.expires_at', '>', t)]));
      break;
  }
  return query.execute();
}

/** The licenses allocated to a group (or held by a person through it), oldest first: what a deleted group gives back. */
export async function licenseIdsAllocatedToGroup(db: Executor, groupId: string): Promise<string[]> {
  return (await db.selectFrom('licenses').select('id').where('allocated_group_id', '=', groupId).orderBy('id', 'asc').execute()).map((r) => r.id);
}

/** Name, product and customer of these licenses, unscoped (the caller read the ids in its own scope). */
export async function licenseLabelRows(db: Executor, ids: string[]): Promise<Array<{ id: string; name: string; product_id: string; customer_id: string | null }>> {
  if (ids.length === 0) return [];
  return db.selectFrom('licenses').select(['id', 'name', 'product_id', 'customer_id']).where('id', 'in', ids).execute();
}

export async function findCustomerId(db: Executor, id: string): Promise<string | null | undefined> {
  const row = await db.selectFrom('licenses').select('customer_id').where('id', '=', id).executeTakeFirst();
  return row?.customer_id;
}

export async function findKeyCiphertext(db: Executor, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('licenses').select('key_ciphertext').where('id', '=', id).executeTakeFirst();
  return row?.key_ciphertext;
}
