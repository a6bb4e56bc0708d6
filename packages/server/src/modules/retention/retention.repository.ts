import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';

/** A product's retention settings; null means no limit of that kind (both null: keep everything). */
export interface RetentionSettings {
  productId: string;
  keepVersions: number | null;
  keepDays: number | null;
  /** Null while the product has never had settings. */
  updatedAt: string | null;
}

export async function findRetention(db: Executor, productId: string): Promise<RetentionSettings | undefined> {
  const row = await db.selectFrom('release_retention').selectAll().where('product_id', '=', productId).executeTakeFirst();
  return row && { productId: row.product_id, keepVersions: row.keep_versions, keepDays: row.keep_days, updatedAt: toIso(row.updated_at) };
}

export async function saveRetention(db: Executor, s: RetentionSettings & { updatedAt: string }): Promise<void> {
  const values = { keep_versions: s.keepVersions, keep_days: s.keepDays, updated_at: s.updatedAt };
  await db
    .insertInto('release_retention')
    .values({ product_id: s.productId, ...values })
    .onConflict((oc) => oc.column('product_id').doUpdateSet(values))
    .execute();
}

/** Products with at least one limit set: the ones the daily job looks at. */
export async function productsWithRetention(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('release_retention')
    .select('product_id')
    .where((eb) => eb.or([eb('keep_versions', 'is not', null), eb('keep_days', 'is not', null)]))
    .orderBy('product_id')
    .execute();
  return rows.map((r) => r.product_id);
}
