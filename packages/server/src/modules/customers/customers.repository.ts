import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { CustomersTable } from './customers.tables.js';
import type { Actor } from '../../http/access.js';
import { customerScopeFilter } from './customers.access.js';

export interface Contact {
  name: string;
  email?: string;
  phone?: string;
  role?: string;
}

/** A customer organization (or an individual buyer): the account licenses and portal users belong to. */
export interface Customer {
  id: string;
  name: string;
  email: string;
  contacts: Contact[];
  notes: string | null;
  metadata: Record<string, unknown>;
  /** The partner the customer belongs to (created by it or assigned by staff); null: the vendor's own. */
  partnerId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toCustomer(row: Selectable<CustomersTable>): Customer {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    contacts: parseJson(row.contacts, []),
    notes: row.notes,
    metadata: parseJson(row.metadata, {}),
    partnerId: row.partner_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toRow(c: Customer) {
  return {
    name: c.name,
    email: c.email,
    contacts: JSON.stringify(c.contacts),
    notes: c.notes,
    metadata: JSON.stringify(c.metadata),
    partner_id: c.partnerId,
    updated_at: c.updatedAt,
  };
}

/** A customer actor sees only its own organization; a partner actor its own customers. */
function scoped<O>(query: SelectQueryBuilder<Database, 'customers', O>, actor: Actor) {
  return customerScopeFilter(query, actor);
}

export async function insertCustomer(db: Executor, c: Customer): Promise<void> {
  await db.insertInto('customers').values({ id: c.id, created_at: c.createdAt, ...toRow(c) }).execute();
}

export async function updateCustomerRow(db: Executor, c: Customer): Promise<void> {
  await db.updateTable('customers').set(toRow(c)).where('id', '=', c.id).execute();
}

export async function findCustomer(db: Executor, actor: Actor, id: string): Promise<Customer | undefined> {
  const row = await scoped(db.selectFrom('customers').selectAll(), actor).where('id', '=', id).executeTakeFirst();
  return row && toCustomer(row);
}

/** The oldest customer with this e-mail (ids sort by creation time). */
export async function findCustomerByEmail(db: Executor, actor: Actor, email: string): Promise<Customer | undefined> {
  const row = await scoped(db.selectFrom('customers').selectAll(), actor).where('email', '=', email.toLowerCase()).orderBy('id', 'asc').limit(1).executeTakeFirst();
  return row && toCustomer(row);
}

export async function listCustomers(
  db: Executor,
  actor: Actor,
  filter: { email?: string; q?: string; partnerId?: string; limit: number; cursor?: string },
): Promise<Customer[]> {
  let query = scoped(db.selectFrom('customers').selectAll(), actor).orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.email) query = query.where('email', '=', filter.email.toLowerCase());
  if (filter.partnerId) query = query.where('partner_id', '=', filter.partnerId);
  if (filter.q) {
    const like = `%${filter.q.toLowerCase()}%`;
    query = query.where((eb) => eb.or([eb(eb.fn('lower', ['name']), 'like', like), eb('email', 'like', like)]));
  }
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return (await query.execute()).map(toCustomer);
}

/** Ids of customers whose name or e-mail contains `q` (case-insensitive), at most `limit` of them, newest first. */
export async function customerIdsMatching(db: Executor, q: string, limit: number): Promise<string[]> {
  const like = `%${q.toLowerCase()}%`;
  const rows = await db
    .selectFrom('customers')
    .select('id')
    .where((eb) => eb.or([eb(eb.fn('lower', ['email']), 'like', like), eb(eb.fn('lower', ['name']), 'like', like)]))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** The ids among `customerIds` that name no customer. */
export async function missingCustomerIds(db: Executor, customerIds: string[]): Promise<string[]> {
  if (customerIds.length === 0) return [];
  const found = await db.selectFrom('customers').select('id').where('id', 'in', customerIds).execute();
  const known = new Set(found.map((row) => row.id));
  return customerIds.filter((id) => !known.has(id));
}

export async function customerNames(db: Executor, ids: string[]): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('customers').select(['id', 'name']).where('id', 'in', ids).execute();
}

export async function deleteCustomerRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('customers').where('id', '=', id).execute();
}
