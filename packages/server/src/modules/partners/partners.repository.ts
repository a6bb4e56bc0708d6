import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { PartnerRight } from '../../http/access.js';
import type { PartnersTable } from './partners.tables.js';

export interface PartnerGrant {
  productGroupId: string;
  rights: PartnerRight[];
}

/** A reseller or distributor: an organization of its own with users, selling to its own customers. */
export interface Partner {
  id: string;
  name: string;
  email: string | null;
  grants: PartnerGrant[];
  createdAt: string;
  updatedAt: string;
}

async function withGrants(db: Executor, rows: Selectable<PartnersTable>[]): Promise<Partner[]> {
  if (rows.length === 0) return [];
  const grants = await grantRows(db, rows.map((r) => r.id));
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    email: row.email,
    grants: grants.filter((g) => g.partner_id === row.id).map((g) => ({ productGroupId: g.product_group_id, rights: parseJson<PartnerRight[]>(g.rights, []) })),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }));
}

async function grantRows(db: Executor, partnerIds: string[]) {
  return db.selectFrom('partner_grants').selectAll().where('partner_id', 'in', partnerIds).orderBy('product_group_id').execute();
}

export async function insertPartner(db: Executor, partner: Partner): Promise<void> {
  await db
    .insertInto('partners')
    .values({ id: partner.id, name: partner.name, email: partner.email, created_at: partner.createdAt, updated_at: partner.updatedAt })
    .execute();
  await replaceGrants(db, partner.id, partner.grants);
}

export async function updatePartnerRow(db: Executor, partner: Partner): Promise<void> {
  await db.updateTable('partners').set({ name: partner.name, email: partner.email, updated_at: partner.updatedAt }).where('id', '=', partner.id).execute();
}

export async function replaceGrants(db: Executor, partnerId: string, grants: PartnerGrant[]): Promise<void> {
  await db.deleteFrom('partner_grants').where('partner_id', '=', partnerId).execute();
  if (grants.length > 0) {
    await db
      .insertInto('partner_grants')
      .values(grants.map((g) => ({ partner_id: partnerId, product_group_id: g.productGroupId, rights: JSON.stringify(g.rights) })))
      .execute();
  }
}

export async function findPartner(db: Executor, id: string): Promise<Partner | undefined> {
  const row = await db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
  return row && (await withGrants(db, [row]))[0];
}

/** A page of partners; `id` narrows to one (a partner actor's own). */
export async function listPartnerRows(db: Executor, filter: { q?: string; limit: number; cursor?: string; id?: string }): Promise<Partner[]> {
  let q = db.selectFrom('partners').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.id !== undefined) q = q.where('id', '=', filter.id);
  if (filter.q) {
    const like = `%${filter.q.toLowerCase()}%`;
    q = q.where((eb) => eb.or([eb(eb.fn('lower', ['name']), 'like', like), eb('email', 'like', like)]));
  }
  if (filter.cursor) q = q.where('id', '<', filter.cursor);
  return withGrants(db, await q.execute());
}

/** A partner's grants only (the auth layer resolves a partner actor's scope from them). */
export async function grantsOf(db: Executor, partnerId: string): Promise<PartnerGrant[]> {
  return (await grantRows(db, [partnerId])).map((g) => ({ productGroupId: g.product_group_id, rights: parseJson<PartnerRight[]>(g.rights, []) }));
}

export async function groupHasGrants(db: Executor, groupId: string): Promise<boolean> {
  return (await db.selectFrom('partner_grants').select('partner_id').where('product_group_id', '=', groupId).limit(1).executeTakeFirst()) !== undefined;
}

export async function partnerNames(db: Executor, ids: string[]): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('partners').select(['id', 'name']).where('id', 'in', ids).execute();
}
