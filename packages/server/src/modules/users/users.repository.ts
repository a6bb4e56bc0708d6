import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { UsersTable } from './users.tables.js';
import type { Actor, Role } from '../../http/access.js';

/** A person who signs in: vendor staff, or a member of a customer organization. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  kind: 'staff' | 'customer' | 'partner';
  role: Role;
  customerId: string | null;
  /** A partner user's partner; null for staff and customer users. */
  partnerId: string | null;
  disabled: boolean;
  hasPassword: boolean;
  lastSignInAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type UserRow = Selectable<UsersTable>;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    kind: row.kind as User['kind'],
    role: row.role as Role,
    customerId: row.customer_id,
    partnerId: row.partner_id,
    disabled: row.disabled_at !== null,
    hasPassword: row.password_hash !== null,
    lastSignInAt: toIso(row.last_sign_in_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** Staff see every user; a customer admin the users of its own organization, a partner admin those of its partner. */
function scoped<O>(query: SelectQueryBuilder<Database, 'users', O>, actor: Actor) {
  if (actor.scope.customerId !== undefined) return query.where('customer_id', '=', actor.scope.customerId);
  if (actor.scope.partnerId !== undefined) return query.where('partner_id', '=', actor.scope.partnerId);
  return query;
}

export async function insertUser(db: Executor, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function updateUserRow(db: Executor, id: string, changes: Partial<UserRow>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export async function findUserRow(db: Executor, actor: Actor, id: string): Promise<UserRow | undefined> {
  return scoped(db.selectFrom('users').selectAll(), actor).where('id', '=', id).executeTakeFirst();
}

/** Unscoped lookup by id (authentication, links). */
export async function findUserRowById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The users with these ids, unscoped (a group lists its members). */
export async function findUserRowsByIds(db: Executor, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
}

/** Whether any user belongs to the customer (a customer with users cannot be deleted). */
export async function customerHasUsers(db: Executor, customerId: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('customer_id', '=', customerId).limit(1).executeTakeFirst()) !== undefined;
}

/** The e-mail addresses of a customer organization's enabled customer admins (oldest first). */
export async function customerAdminEmails(db: Executor, customerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('customer_id', '=', customerId)
    .where('role', '=', 'customer-admin')
    .where('disabled_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.email);
}

/** The addresses of a partner's enabled admins (quota alerts on the partner's contracts). */
export async function partnerAdminEmails(db: Executor, partnerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('partner_id', '=', partnerId)
    .where('role', '=', 'partner-admin')
    .where('disabled_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.email);
}

/** Unscoped lookup for sign-in. */
export async function findUserRowByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

export async function listUserRows(
  db: Executor,
  actor: Actor,
  filter: { customerId?: string; partnerId?: string; kind?: string; limit: number; cursor?: string },
): Promise<UserRow[]> {
  let query = scoped(db.selectFrom('users').selectAll(), actor).orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
  if (filter.partnerId) query = query.where('partner_id', '=', filter.partnerId);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return query.execute();
}

export async function countActiveOwners(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
