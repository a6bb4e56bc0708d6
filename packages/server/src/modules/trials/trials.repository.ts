import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { TrialsTable } from './trials.tables.js';
import { partnerCustomerIds } from '../customers/customers.access.js';
import type { Actor } from '../../http/access.js';

export type TrialSource = 'signup' | 'staff';

/** A trial: the license issued for it, who it was for, and what became of it. */
export interface Trial {
  id: string;
  productId: string;
  licenseId: string;
  customerId: string | null;
  email: string | null;
  source: TrialSource;
  /** Days granted so far (the first term plus extensions). */
  days: number;
  /** Whether a machine fingerprint is on record (the digest itself is not shown). */
  machineBound: boolean;
  convertedAt: string | null;
  convertedPolicyId: string | null;
  createdAt: string;
}

export function toTrial(row: Selectable<TrialsTable>): Trial {
  return {
    id: row.id,
    productId: row.product_id,
    licenseId: row.license_id,
    customerId: row.customer_id,
    email: row.email,
    source: row.source as TrialSource,
    days: row.days,
    machineBound: row.fingerprint_digest !== null,
    convertedAt: toIso(row.converted_at),
    convertedPolicyId: row.converted_policy_id,
    createdAt: toIso(row.created_at),
  };
}

export async function insertTrial(db: Executor, row: Selectable<TrialsTable>): Promise<void> {
  await db.insertInto('trials').values(row).execute();
}

export async function findTrialByLicense(db: Executor, licenseId: string): Promise<Selectable<TrialsTable> | undefined> {
  return db.selectFrom('trials').selectAll().where('license_id', '=', licenseId).executeTakeFirst();
}

/** Whether a product already had a trial for this e-mail address or this machine (any source). */
export async function trialUsed(db: Executor, productId: string, who: { email: string; fingerprintDigest: string | null }): Promise<'email' | 'machine' | undefined> {
  const byEmail = await db.selectFrom('trials').select('id').where('product_id', '=', productId).where('email', '=', who.email).limit(1).executeTakeFirst();
  if (byEmail) return 'email';
  if (who.fingerprintDigest === null) return undefined;
  const byMachine = await db
    .selectFrom('trials')
    .select('id')
    .where('product_id', '=', productId)
    .where('fingerprint_digest', '=', who.fingerprintDigest)
    .limit(1)
    .executeTakeFirst();
  return byMachine ? 'machine' : undefined;
}

/** Another trial of the product that is bound to this machine. */
export async function otherTrialOnMachine(db: Executor, productId: string, licenseId: string, fingerprintDigest: string): Promise<boolean> {
  const row = await db
    .selectFrom('trials')
    .select('id')
    .where('product_id', '=', productId)
    .where('fingerprint_digest', '=', fingerprintDigest)
    .where('license_id', '!=', licenseId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function bindTrialToMachine(db: Executor, licenseId: string, fingerprintDigest: string): Promise<void> {
  await db.updateTable('trials').set({ fingerprint_digest: fingerprintDigest }).where('license_id', '=', licenseId).where('fingerprint_digest', 'is', null).execute();
}

export async function addTrialDays(db: Executor, licenseId: string, days: number): Promise<void> {
  const row = await findTrialByLicense(db, licenseId);
  if (row) await db.updateTable('trials').set({ days: row.days + days }).where('license_id', '=', licenseId).execute();
}

export async function markConverted(db: Executor, licenseId: string, policyId: string, at: string): Promise<void> {
  await db.updateTable('trials').set({ converted_at: at, converted_policy_id: policyId }).where('license_id', '=', licenseId).execute();
}

export interface TrialFilter {
  productId?: string;
  customerId?: string;
  converted?: boolean;
  source?: TrialSource;
  limit: number;
  cursor?: string;
}

/** Trials within what the actor may see (customers: their own organization's), newest first. */
export async function listTrialRows(db: Executor, actor: Actor, filter: TrialFilter): Promise<Trial[]> {
  let query = db.selectFrom('trials').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
  if (actor.scope.customerId !== undefined) query = query.where('customer_id', '=', actor.scope.customerId);
  const { partnerId } = actor.scope;
  if (partnerId !== undefined) query = query.where((eb) => eb('customer_id', 'in', partnerCustomerIds(eb, partnerId)));
  if (actor.scope.productIds !== undefined) query = query.where('product_id', 'in', actor.scope.productIds.length > 0 ? [...actor.scope.productIds] : ['']);
  if (filter.productId) query = query.where('product_id', '=', filter.productId);
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.converted !== undefined) query = query.where('converted_at', filter.converted ? 'is not' : 'is', null);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return (await query.execute()).map(toTrial);
}
