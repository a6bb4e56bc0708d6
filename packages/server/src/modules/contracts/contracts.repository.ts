import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Actor } from '../../http/access.js';
import { contractScopeFilter } from './contracts.access.js';
import type { ContractsTable } from './contracts.tables.js';

export const CONTRACT_UNITS = ['licenses', 'seats'] as const;
export type ContractUnit = (typeof CONTRACT_UNITS)[number];
export const CONTRACT_STATUSES = ['active', 'exhausted', 'ended', 'cancelled'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** A contract as the API shows it: the stored facts plus `remaining` and `status` at the time of the answer. */
export interface Contract {
  id: string;
  customerId: string | null;
  partnerId: string | null;
  policyId: string | null;
  productGroupId: string | null;
  unit: ContractUnit;
  /** null: unlimited. */
  quantity: number | null;
  used: number;
  /** quantity − used; null: unlimited. */
  remaining: number | null;
  status: ContractStatus;
  endsAt: string | null;
  alerted80At: string | null;
  alerted100At: string | null;
  cancelledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ContractRow = Selectable<ContractsTable>;

/** Cancelled over ended over used up: the first fact that stops a draw. */
export function contractStatus(row: Pick<ContractRow, 'cancelled_at' | 'ends_at' | 'quantity' | 'used'>, now: Date): ContractStatus {
  if (row.cancelled_at !== null) return 'cancelled';
  if (row.ends_at !== null && Date.parse(toIso(row.ends_at)) <= now.getTime()) return 'ended';
  if (row.quantity !== null && row.used >= row.quantity) return 'exhausted';
  return 'active';
}

export function toContract(row: ContractRow, now: Date): Contract {
  return {
    id: row.id,
    customerId: row.customer_id,
    partnerId: row.partner_id,
    policyId: row.policy_id,
    productGroupId: row.product_group_id,
    unit: row.unit as ContractUnit,
    quantity: row.quantity,
    used: row.used,
    remaining: row.quantity === null ? null : row.quantity - row.used,
    status: contractStatus(row, now),
    endsAt: toIso(row.ends_at),
    alerted80At: toIso(row.alerted_80_at),
    alerted100At: toIso(row.alerted_100_at),
    cancelledAt: toIso(row.cancelled_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** Whether any contract is held by the customer, or covers the policy (deletion guards). */
export async function anyContractOf(db: Executor, column: 'customer_id' | 'policy_id', id: string): Promise<boolean> {
  return (await db.selectFrom('contracts').select('id').where(column, '=', id).limit(1).executeTakeFirst()) !== undefined;
}

export async function insertContract(db: Executor, row: ContractRow): Promise<void> {
  await db.insertInto('contracts').values(row).execute();
}

/** The contract with this id, within the actor's scope (another organization's is simply not found). */
export async function findContractRow(db: Executor, actor: Actor, id: string): Promise<ContractRow | undefined> {
  return contractScopeFilter(db.selectFrom('contracts').selectAll('contracts'), actor).where('contracts.id', '=', id).executeTakeFirst();
}

export interface ContractFilter {
  customerId?: string | undefined;
  partnerId?: string | undefined;
  policyId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Names for the event lists: "Contract: 20 licenses" (only the contracts the actor sees). */
export async function contractNames(db: Executor, actor: Actor, ids: string[]): Promise<Map<string, string>> {
  const rows = await contractScopeFilter(db.selectFrom('contracts').select(['contracts.id', 'contracts.quantity', 'contracts.unit']), actor).where('contracts.id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, `Contract: ${r.quantity ?? 'unlimited'} ${r.unit}`]));
}

export async function listContractRows(db: Executor, actor: Actor, filter: ContractFilter): Promise<ContractRow[]> {
  let query = contractScopeFilter(db.selectFrom('contracts').selectAll('contracts'), actor).orderBy('contracts.id', 'desc').limit(filter.limit + 1);
  if (filter.customerId) query = query.where('contracts.customer_id', '=', filter.customerId);
  if (filter.partnerId) query = query.where('contracts.partner_id', '=', filter.partnerId);
  if (filter.policyId) query = query.where('contracts.policy_id', '=', filter.policyId);
  if (filter.cursor) query = query.where('contracts.id', '<', filter.cursor);
  return query.execute();
}

/**
 * The draw: `used` grows by `n` only if the contract is live at `now` and the quota holds it, in one
 * conditional update. Concurrent draws serialize on the row (PostgreSQL re-checks the condition after a
 * concurrent update commits; SQLite has one writer), so the quota is never overspent. undefined: refused.
 */
export async function drawQuota(db: Executor, id: string, n: number, now: string): Promise<{ used: number; quantity: number | null } | undefined> {
  return db
    .updateTable('contracts')
    .set((eb) => ({ used: eb('used', '+', n), updated_at: now }))
    .where('id', '=', id)
    .where('cancelled_at', 'is', null)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
    .where((eb) => eb.or([eb('quantity', 'is', null), eb(eb('used', '+', n), '<=', eb.ref('quantity'))]))
    .returning(['used', 'quantity'])
    .executeTakeFirst();
}

/** Sets the quantity unless it would fall below what is drawn (checked in the same statement as the write). */
export async function setQuantity(db: Executor, id: string, quantity: number | null, now: string): Promise<boolean> {
  let query = db.updateTable('contracts').set({ quantity, updated_at: now }).where('id', '=', id);
  if (quantity !== null) query = query.where('used', '<=', quantity);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function updateContractRow(db: Executor, id: string, changes: Partial<Omit<ContractRow, 'id' | 'used'>>): Promise<void> {
  await db.updateTable('contracts').set(changes).where('id', '=', id).execute();
}

/** Claims a quota alert: true for the one caller that sets it (of any number of concurrent draws). */
export async function claimAlert(db: Executor, id: string, column: 'alerted_80_at' | 'alerted_100_at', now: string): Promise<boolean> {
  const result = await db.updateTable('contracts').set({ [column]: now }).where('id', '=', id).where(column, 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Cancels a live contract: false when it was cancelled already. */
export async function cancelContractRow(db: Executor, id: string, now: string): Promise<boolean> {
  const result = await db.updateTable('contracts').set({ cancelled_at: now, updated_at: now }).where('id', '=', id).where('cancelled_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
