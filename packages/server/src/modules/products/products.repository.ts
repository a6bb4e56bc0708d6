import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { ProductsTable } from './products.tables.js';
import type { Actor } from '../../http/access.js';
import { productScopeFilter, type CustomerProducts } from './products.access.js';

export interface Product {
  id: string;
  code: string;
  name: string;
  description: string | null;
  url: string | null;
  metadata: Record<string, unknown>;
  /** Trial lengths staff and sign-ups may pick from, in days, and the one used when none is named. */
  trialDurations: number[];
  trialPreset: number;
  /** The policy trials are issued from; null: the product's only trial policy. */
  trialPolicyId: string | null;
  /** Whether anyone may sign up for a trial of this product (POST /v1/trials). */
  publicTrials: boolean;
  /**
   * A custom product (custom development) is made for these customers: only they see it, its releases
   * and its artifacts, and only they may hold its licenses. Empty: a public product.
   */
  customerIds: string[];
  createdAt: string;
  updatedAt: string;
}

export function toProduct(row: Selectable<ProductsTable>): Product {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    url: row.url,
    metadata: parseJson(row.metadata, {}),
    trialDurations: parseJson(row.trial_durations, [5, 30, 60, 90]),
    trialPreset: row.trial_preset,
    trialPolicyId: row.trial_policy_id,
    publicTrials: Boolean(row.public_trials),
    customerIds: parseJson(row.customer_ids, []),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

export async function insertProduct(db: Executor, product: Product): Promise<void> {
  await db
    .insertInto('products')
    .values({
      id: product.id,
      code: product.code,
      name: product.name,
      description: product.description,
      url: product.url,
      metadata: JSON.stringify(product.metadata),
      trial_durations: JSON.stringify(product.trialDurations),
      trial_preset: product.trialPreset,
      trial_policy_id: product.trialPolicyId,
      public_trials: product.publicTrials ? 1 : 0,
      customer_ids: JSON.stringify(product.customerIds),
      created_at: product.createdAt,
      updated_at: product.updatedAt,
    })
    .execute();
}

export async function updateProductRow(db: Executor, product: Product): Promise<void> {
  await db
    .updateTable('products')
    .set({
      code: product.code,
      name: product.name,
      description: product.description,
      url: product.url,
      metadata: JSON.stringify(product.metadata),
      trial_durations: JSON.stringify(product.trialDurations),
      trial_preset: product.trialPreset,
      trial_policy_id: product.trialPolicyId,
      public_trials: product.publicTrials ? 1 : 0,
      customer_ids: JSON.stringify(product.customerIds),
      updated_at: product.updatedAt,
    })
    .where('id', '=', product.id)
    .execute();
}

/** Finds a product by id or code, within what the actor may see. */
export async function findProduct(db: Executor, actor: Actor, visible: CustomerProducts, idOrCode: string): Promise<Product | undefined> {
  const row = await productScopeFilter(db.selectFrom('products').selectAll(), actor, visible)
    .where((eb) => eb.or([eb('id', '=', idOrCode), eb('code', '=', idOrCode)]))
    .executeTakeFirst();
  return row && toProduct(row);
}

/** Whether any product, whoever may see it, has this id or code (codes are unique across the instance). */
export async function productKeyTaken(db: Executor, idOrCode: string): Promise<boolean> {
  const row = await db
    .selectFrom('products')
    .select('id')
    .where((eb) => eb.or([eb('id', '=', idOrCode), eb('code', '=', idOrCode)]))
    .executeTakeFirst();
  return row !== undefined;
}

export async function listProducts(db: Executor, actor: Actor, visible: CustomerProducts, limit: number, cursor?: string): Promise<Product[]> {
  let query = productScopeFilter(db.selectFrom('products').selectAll(), actor, visible).orderBy('id', 'desc').limit(limit + 1);
  if (cursor) query = query.where('id', '<', cursor);
  return (await query.execute()).map(toProduct);
}

export async function productLabels(db: Executor, ids: string[]): Promise<Array<{ id: string; code: string; name: string }>> {
  return db.selectFrom('products').select(['id', 'code', 'name']).where('id', 'in', ids).execute();
}

export async function deleteProductRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('products').where('id', '=', id).execute();
}
