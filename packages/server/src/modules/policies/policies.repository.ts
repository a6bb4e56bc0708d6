import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { PoliciesTable } from './policies.tables.js';
import type { Actor } from '../../http/access.js';
import type { Meter } from './meters.js';
import type { Alignment, FirstTerm, Renewer } from './subscription-terms.js';

export interface ActivationLimits {
  /** Activations (new seats taken) per window; null: unlimited. */
  activations: number | null;
  /** Deactivations per window; null: unlimited. */
  deactivations: number | null;
  periodDays: number;
}

/** Extra seats beyond the limit: a number of seats, or a factor of the limit (1.25 = 25% more, rounded up). */
export type Overdraft = { seats: number } | { factor: number };

/** The seat count activations may reach: the limit plus the overdraft; null when unlimited. */
export function hardSeatLimit(maxMachines: number | null, overdraft: Overdraft | null): number | null {
  if (maxMachines === null) return null;
  if (!overdraft) return maxMachines;
  if ('seats' in overdraft) return maxMachines + overdraft.seats;
  return Math.max(maxMachines, Math.ceil(maxMachines * overdraft.factor));
}

/** What a license's expiry ends: use (`access`) or, under the maintenance model, new releases (`updates`). */
export const EXPIRY_ENDS = ['access', 'updates'] as const;
export type ExpiryEnds = (typeof EXPIRY_ENDS)[number];

export const POLICY_KINDS = ['perpetual', 'timed', 'subscription', 'trial'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** A license template: what a license issued from it gets unless the license overrides it. */
export interface Policy {
  id: string;
  productId: string;
  name: string;
  kind: PolicyKind;
  /** The term in days; null: perpetual, or a term in months (`termMonths`). */
  durationDays: number | null;
  /** The term in calendar months (preferred for subscriptions: 12 is a year, whatever its length). */
  termMonths: number | null;
  /** null: unlimited. */
  maxMachines: number | null;
  /** Named users a license may have (per-user licensing); null: no limit. */
  maxUsers: number | null;
  floating: boolean;
  heartbeatSeconds: number | null;
  graceDays: number;
  features: string[];
  enforceDomains: boolean;
  meters: Meter[];
  /** Allowed ISO 3166-1 alpha-2 country codes; empty: every country. */
  countries: string[];
  /** Anti-abuse: activations and deactivations allowed per license in a rolling window; null: no limit. */
  activationLimits: ActivationLimits | null;
  /** Seats allowed beyond maxMachines, with a warning and an alert; null: none. */
  overdraft: Overdraft | null;
  /**
   * The longest lifetime of an offline license file, in days. A bound file holds its machine's seat for
   * that long (it cannot be called back), so this is also the longest a seat can be borrowed.
   */
  offlineMaxDays: number;
  /**
   * `access`: an expired license stops validating (EXPIRED). `updates` (maintenance model): it keeps
   * validating (MAINTENANCE_EXPIRED) and is offered only releases published before its expiry.
   */
  expiryEnds: ExpiryEnds;
  /** Subscription policies: whether licenses renew at term end by default, and who renews them. */
  autoRenew: boolean;
  renewedBy: Renewer;
  /** Days before term end after which a cancellation is refused (unless staff override). */
  cancellationNoticeDays: number;
  alignment: Alignment;
  /** 1–12, for `fiscal-year` alignment. */
  fiscalYearStartMonth: number | null;
  /** How a first term shortened to a year boundary is priced. */
  firstTerm: FirstTerm;
  /** Default price per term, in minor units (cents), and its ISO 4217 currency. */
  price: number | null;
  currency: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export function toPolicy(row: Selectable<PoliciesTable>): Policy {
  return {
    id: row.id,
    productId: row.product_id,
    name: row.name,
    kind: row.kind as PolicyKind,
    durationDays: row.duration_days,
    termMonths: row.term_months,
    maxMachines: row.max_machines,
    maxUsers: row.max_users,
    floating: Boolean(row.floating),
    heartbeatSeconds: row.heartbeat_seconds,
    graceDays: row.grace_days,
    features: parseJson(row.features, []),
    enforceDomains: Boolean(row.enforce_domains),
    meters: parseJson(row.meters, []),
    countries: parseJson(row.countries, []),
    activationLimits: parseJson(row.activation_limits, null),
    overdraft: parseJson(row.overdraft, null),
    offlineMaxDays: Number(row.offline_max_days),
    expiryEnds: row.expiry_ends === 'updates' ? 'updates' : 'access',
    autoRenew: Boolean(row.auto_renew),
    renewedBy: row.renewed_by as Renewer,
    cancellationNoticeDays: row.cancellation_notice_days,
    alignment: row.alignment as Alignment,
    fiscalYearStartMonth: row.fiscal_year_start_month,
    firstTerm: row.first_term as FirstTerm,
    price: row.price === null ? null : Number(row.price),
    currency: row.currency,
    metadata: parseJson(row.metadata, {}),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toRow(policy: Policy) {
  return {
    product_id: policy.productId,
    name: policy.name,
    kind: policy.kind,
    duration_days: policy.durationDays,
    term_months: policy.termMonths,
    max_machines: policy.maxMachines,
    max_users: policy.maxUsers,
    floating: policy.floating ? 1 : 0,
    heartbeat_seconds: policy.heartbeatSeconds,
    grace_days: policy.graceDays,
    features: JSON.stringify(policy.features),
    enforce_domains: policy.enforceDomains ? 1 : 0,
    meters: JSON.stringify(policy.meters),
    countries: JSON.stringify(policy.countries),
    activation_limits: JSON.stringify(policy.activationLimits),
    overdraft: JSON.stringify(policy.overdraft),
    offline_max_days: policy.offlineMaxDays,
    expiry_ends: policy.expiryEnds,
    auto_renew: policy.autoRenew ? 1 : 0,
    renewed_by: policy.renewedBy,
    cancellation_notice_days: policy.cancellationNoticeDays,
    alignment: policy.alignment,
    fiscal_year_start_month: policy.fiscalYearStartMonth,
    first_term: policy.firstTerm,
    price: policy.price,
    currency: policy.currency,
    metadata: JSON.stringify(policy.metadata),
    updated_at: policy.updatedAt,
  };
}

export async function insertPolicy(db: Executor, policy: Policy): Promise<void> {
  await db
    .insertInto('policies')
    .values({ id: policy.id, created_at: policy.createdAt, ...toRow(policy) })
    .execute();
}

export async function updatePolicyRow(db: Executor, policy: Policy): Promise<void> {
  await db.updateTable('policies').set(toRow(policy)).where('id', '=', policy.id).execute();
}

/** Policies are vendor configuration: staff see them all; a partner scope narrows them to its products. */
function scoped<O>(query: import('kysely').SelectQueryBuilder<import('../../db/schema.js').Database, 'policies', O>, actor: Actor) {
  const { productIds } = actor.scope;
  if (productIds !== undefined) return query.where('product_id', 'in', productIds.length > 0 ? [...productIds] : ['']);
  return query;
}

export async function findPolicy(db: Executor, actor: Actor, id: string): Promise<Policy | undefined> {
  const row = await scoped(db.selectFrom('policies').selectAll(), actor).where('id', '=', id).executeTakeFirst();
  return row && toPolicy(row);
}

export async function listPolicies(db: Executor, actor: Actor, filter: { productId?: string; limit: number; cursor?: string }): Promise<Policy[]> {
  let query = scoped(db.selectFrom('policies').selectAll(), actor).orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.productId) query = query.where('product_id', '=', filter.productId);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return (await query.execute()).map(toPolicy);
}

/** These policies, or every policy of these products, by product then name (no viewer scope: the caller decides who may see them). */
export async function listPoliciesWhere(db: Executor, where: { ids: readonly string[] } | { productIds: readonly string[] }): Promise<Policy[]> {
  const [column, values] = 'ids' in where ? (['id', where.ids] as const) : (['product_id', where.productIds] as const);
  if (values.length === 0) return [];
  const rows = await db.selectFrom('policies').selectAll().where(column, 'in', [...values]).orderBy('product_id').orderBy('name').execute();
  return rows.map(toPolicy);
}

export async function deletePolicyRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('policies').where('id', '=', id).execute();
}

/** Whether the product has any policy (a product is deleted only without them). */
export async function productHasPolicies(db: Executor, productId: string): Promise<boolean> {
  const policy = await db.selectFrom('policies').select('id').where('product_id', '=', productId).limit(1).executeTakeFirst();
  return policy !== undefined;
}

/** Whether `policyId` is a trial policy of the product (the product's trial settings may name it). */
export async function isTrialPolicyOf(db: Executor, policyId: string, productId: string): Promise<boolean> {
  const policy = await db.selectFrom('policies').select('id').where('id', '=', policyId).where('product_id', '=', productId).where('kind', '=', 'trial').executeTakeFirst();
  return policy !== undefined;
}
