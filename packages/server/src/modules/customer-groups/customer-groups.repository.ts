import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';
import type { CustomerGroupMembersTable, CustomerGroupsTable } from './customer-groups.tables.js';

export const GROUP_VISIBILITIES = ['members', 'admins'] as const;
export type GroupVisibility = (typeof GROUP_VISIBILITIES)[number];

/** A group as stored, without its members. */
export interface GroupRecord {
  id: string;
  customerId: string;
  name: string;
  visibility: GroupVisibility;
  createdAt: string;
  updatedAt: string;
}

export interface MembershipRecord {
  groupId: string;
  userId: string;
  admin: boolean;
  createdAt: string;
}

function toGroup(row: Selectable<CustomerGroupsTable>): GroupRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    visibility: row.visibility as GroupVisibility,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toMembership(row: Selectable<CustomerGroupMembersTable>): MembershipRecord {
  return { groupId: row.group_id, userId: row.user_id, admin: Boolean(row.admin), createdAt: toIso(row.created_at) };
}

/**
 * What an actor may see of groups: staff every group; a customer admin (or a customer admin token) its
 * organization's; a customer member only the groups it is in (a member token, which is no person: none).
 */
function scoped<O>(query: SelectQueryBuilder<Database, 'customer_groups', O>, actor: Actor) {
  let q = query;
  if (actor.scope.customerId !== undefined) q = q.where('customer_groups.customer_id', '=', actor.scope.customerId);
  if (actor.role === 'customer-member') {
    const person = actor.type === 'user' && actor.id ? actor.id : '';
    q = q.where('customer_groups.id', 'in', (eb) => eb.selectFrom('customer_group_members').select('customer_group_members.group_id').where('customer_group_members.user_id', '=', person));
  }
  return q;
}

export async function insertGroup(db: Executor, g: GroupRecord): Promise<void> {
  await db
    .insertInto('customer_groups')
    .values({ id: g.id, customer_id: g.customerId, name: g.name, visibility: g.visibility, created_at: g.createdAt, updated_at: g.updatedAt })
    .execute();
}

export async function updateGroupRow(db: Executor, g: GroupRecord): Promise<void> {
  await db.updateTable('customer_groups').set({ name: g.name, visibility: g.visibility, updated_at: g.updatedAt }).where('id', '=', g.id).execute();
}

export async function deleteGroupRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('customer_group_members').where('group_id', '=', id).execute();
  await db.deleteFrom('customer_groups').where('id', '=', id).execute();
}

/** The group with this id if the actor may see it. */
export async function findGroup(db: Executor, actor: Actor, id: string): Promise<GroupRecord | undefined> {
  const row = await scoped(db.selectFrom('customer_groups').selectAll('customer_groups'), actor).where('customer_groups.id', '=', id).executeTakeFirst();
  return row && toGroup(row);
}

/** The names of the groups among `ids` the actor may see (event lists), in one query. */
export async function groupNames(db: Executor, actor: Actor, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await scoped(db.selectFrom('customer_groups').select(['customer_groups.id', 'customer_groups.name']), actor).where('customer_groups.id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The group with this id in this organization, whoever asks (a license's allocation checks its target). */
export async function findGroupOf(db: Executor, customerId: string, id: string): Promise<GroupRecord | undefined> {
  const row = await db.selectFrom('customer_groups').selectAll().where('id', '=', id).where('customer_id', '=', customerId).executeTakeFirst();
  return row && toGroup(row);
}

/** A page of an organization's groups the actor may see, by name then id (limit + 1 rows, cursor: the last id). */
export async function listGroups(db: Executor, actor: Actor, customerId: string, filter: { limit: number; cursor?: string | undefined }): Promise<GroupRecord[]> {
  let q = scoped(db.selectFrom('customer_groups').selectAll('customer_groups'), actor)
    .where('customer_groups.customer_id', '=', customerId)
    .orderBy('customer_groups.id', 'asc')
    .limit(filter.limit + 1);
  if (filter.cursor) q = q.where('customer_groups.id', '>', filter.cursor);
  return (await q.execute()).map(toGroup);
}

export async function membersOf(db: Executor, groupIds: string[]): Promise<MembershipRecord[]> {
  if (groupIds.length === 0) return [];
  const rows = await db.selectFrom('customer_group_members').selectAll().where('group_id', 'in', groupIds).orderBy('created_at', 'asc').orderBy('user_id', 'asc').execute();
  return rows.map(toMembership);
}

export async function findMembership(db: Executor, groupId: string, userId: string): Promise<MembershipRecord | undefined> {
  const row = await db.selectFrom('customer_group_members').selectAll().where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
  return row && toMembership(row);
}

/** Adds the person to the group, or changes whether they are its admin. */
export async function upsertMembership(db: Executor, m: MembershipRecord, existing: boolean): Promise<void> {
  if (existing) {
    await db.updateTable('customer_group_members').set({ admin: m.admin ? 1 : 0 }).where('group_id', '=', m.groupId).where('user_id', '=', m.userId).execute();
  } else {
    await db.insertInto('customer_group_members').values({ group_id: m.groupId, user_id: m.userId, admin: m.admin ? 1 : 0, created_at: m.createdAt }).execute();
  }
}

export async function deleteMembership(db: Executor, groupId: string, userId: string): Promise<void> {
  await db.deleteFrom('customer_group_members').where('group_id', '=', groupId).where('user_id', '=', userId).execute();
}
