import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { PoliciesTable } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';
import type { Meter } from '../usage/meters.js';

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

export const POLICY_KINDS = ['perpetual', 'timed', 'subscription', 'trial'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** A license template: what a license issued from it gets unless the license overrides it. */
export interface Policy {
  id: string;
  productId: string;
  name: string;
  kind: PolicyKind;
  /** null: perpetual. */
  durationDays: number | null;
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

export async function policyInUse(db: Executor, id: string): Promise<boolean> {
  return (await db.selectFrom('licenses').select('id').where('policy_id', '=', id).limit(1).executeTakeFirst()) !== undefined;
}

export async function deletePolicyRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('policies').where('id', '=', id).execute();
}
