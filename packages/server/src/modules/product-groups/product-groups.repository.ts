import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Selectable } from 'kysely';
import type { ProductGroupsTable } from './product-groups.tables.js';

/** A named set of products (a product may be in several): what partner rights and contracts are granted on. */
export interface ProductGroup {
  id: string;
  name: string;
  position: number;
  productIds: string[];
  createdAt: string;
  updatedAt: string;
}

type GroupRow = Selectable<ProductGroupsTable>;

async function withProducts(db: Executor, rows: GroupRow[]): Promise<ProductGroup[]> {
  if (rows.length === 0) return [];
  const members = await db
    .selectFrom('product_group_products')
    .select(['group_id', 'product_id'])
    .where('group_id', 'in', rows.map((r) => r.id))
    .orderBy('product_id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    position: row.position,
    productIds: members.filter((m) => m.group_id === row.id).map((m) => m.product_id),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }));
}

export async function insertGroup(db: Executor, group: ProductGroup): Promise<void> {
  await db
    .insertInto('product_groups')
    .values({ id: group.id, name: group.name, position: group.position, created_at: group.createdAt, updated_at: group.updatedAt })
    .execute();
  await replaceGroupProducts(db, group.id, group.productIds);
}

export async function updateGroupRow(db: Executor, group: ProductGroup): Promise<void> {
  await db.updateTable('product_groups').set({ name: group.name, position: group.position, updated_at: group.updatedAt }).where('id', '=', group.id).execute();
}

export async function replaceGroupProducts(db: Executor, groupId: string, productIds: string[]): Promise<void> {
  await db.deleteFrom('product_group_products').where('group_id', '=', groupId).execute();
  if (productIds.length > 0) {
    await db.insertInto('product_group_products').values(productIds.map((product_id) => ({ group_id: groupId, product_id }))).execute();
  }
}

export async function findGroup(db: Executor, id: string): Promise<ProductGroup | undefined> {
  const row = await db.selectFrom('product_groups').selectAll().where('id', '=', id).executeTakeFirst();
  return row && (await withProducts(db, [row]))[0];
}

export async function groupNameTaken(db: Executor, name: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('product_groups').select('id').where('name', '=', name);
  if (exceptId) q = q.where('id', '<>', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

/** Every group, by position then name (groups are few: a selection list, not a paged one). */
export async function listGroups(db: Executor, ids?: readonly string[]): Promise<ProductGroup[]> {
  let q = db.selectFrom('product_groups').selectAll().orderBy('position').orderBy('name').orderBy('id');
  if (ids) q = q.where('id', 'in', ids.length > 0 ? [...ids] : ['']);
  return withProducts(db, await q.execute());
}

/** Ids of the groups holding any of these products. */
export async function groupIdsWithProducts(db: Executor, productIds: readonly string[]): Promise<string[]> {
  if (productIds.length === 0) return [];
  const rows = await db.selectFrom('product_group_products').select('group_id').distinct().where('product_id', 'in', [...productIds]).execute();
  return rows.map((r) => r.group_id);
}

/** group id → its product ids, for these groups. */
export async function productsOfGroups(db: Executor, groupIds: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return result;
  const rows = await db.selectFrom('product_group_products').select(['group_id', 'product_id']).where('group_id', 'in', [...groupIds]).execute();
  for (const row of rows) result.get(row.group_id)?.push(row.product_id);
  return result;
}

export async function missingGroupIds(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = new Set((await db.selectFrom('product_groups').select('id').where('id', 'in', [...ids]).execute()).map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

export async function removeProductFromGroups(db: Executor, productId: string): Promise<string[]> {
  const rows = await db.selectFrom('product_group_products').select('group_id').where('product_id', '=', productId).execute();
  await db.deleteFrom('product_group_products').where('product_id', '=', productId).execute();
  return rows.map((r) => r.group_id);
}

export async function deleteGroupRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('product_group_products').where('group_id', '=', id).execute();
  await db.deleteFrom('product_groups').where('id', '=', id).execute();
}
