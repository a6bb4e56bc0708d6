import type { ExpressionBuilder, Selectable, SelectQueryBuilder } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { MachinesTable } from './machines.tables.js';
import type { Actor } from '../../http/access.js';
import { holdsSeat, isBorrowed } from './seats.js';
import { licenseIdsInScope } from '../licenses/licenses.access.js';

export { holdsSeat, isAlive, isBorrowed } from './seats.js';

/** An activated device (a seat): a fingerprint on a license, with a friendly name. */
export interface Machine {
  id: string;
  licenseId: string;
  fingerprint: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  activatedAt: string;
  lastHeartbeatAt: string | null;
  /** null for node-locked machines: the seat is held until someone deactivates it. */
  leaseExpiresAt: string | null;
  /** On per-user licenses: the named user (license user id) the machine belongs to. */
  userId: string | null;
  /**
   * While an offline license file bound to this machine is out: the file's expiry. The machine holds its
   * seat until then whatever its lease does (a borrowed seat); null when no file is out.
   */
  borrowedUntil: string | null;
}

export type MachineRow = Selectable<MachinesTable>;

export function toMachine(row: MachineRow): Machine {
  return {
    id: row.id,
    licenseId: row.license_id,
    fingerprint: row.fingerprint,
    name: row.name,
    hostname: row.hostname,
    platform: row.platform,
    ip: row.ip,
    metadata: parseJson(row.metadata, {}),
    activatedAt: toIso(row.activated_at),
    lastHeartbeatAt: toIso(row.last_heartbeat_at),
    leaseExpiresAt: toIso(row.lease_expires_at),
    userId: row.license_user_id,
    borrowedUntil: toIso(row.borrowed_until),
  };
}

export function toMachineRow(m: Machine): MachineRow {
  return {
    id: m.id,
    license_id: m.licenseId,
    fingerprint: m.fingerprint,
    name: m.name,
    hostname: m.hostname,
    platform: m.platform,
    ip: m.ip,
    metadata: JSON.stringify(m.metadata),
    activated_at: m.activatedAt,
    last_heartbeat_at: m.lastHeartbeatAt,
    lease_expires_at: m.leaseExpiresAt,
    license_user_id: m.userId,
    borrowed_until: m.borrowedUntil,
  };
}

/**
 * How a machine holds its seat at `now`: `node-locked` until someone deactivates it, `active` while its
 * floating lease runs, `borrowed` when the lease lapsed but an offline license file bound to it is out
 * (the seat stays taken until the file expires or is checked in), `lapsed` once nothing holds the seat
 * (it is free and not counted; the row stays until the cull so the app can see why its heartbeat failed).
 */
export type LeaseState = 'node-locked' | 'active' | 'borrowed' | 'lapsed';

export function leaseState(machine: { leaseExpiresAt: string | null; borrowedUntil: string | null }, now: Date): LeaseState {
  if (machine.leaseExpiresAt === null) return 'node-locked';
  if (Date.parse(machine.leaseExpiresAt) > now.getTime()) return 'active';
  return isBorrowed(machine, now) ? 'borrowed' : 'lapsed';
}

/** A machine as answers show it: with its lease state at the time of the answer. */
export type MachineView = Machine & { leaseState: LeaseState };

export function viewMachine(machine: Machine, now: Date): MachineView {
  return { ...machine, leaseState: leaseState(machine, now) };
}

export async function findMachineByFingerprint(db: Executor, licenseId: string, fingerprint: string): Promise<Machine | undefined> {
  const row = await db.selectFrom('machines').selectAll().where('license_id', '=', licenseId).where('fingerprint', '=', fingerprint).executeTakeFirst();
  return row && toMachine(row);
}

/** Live seats of a license, or of one named user of it. */
export async function countAliveMachines(db: Executor, licenseId: string, now: Date, userId?: string): Promise<number> {
  let query = db.selectFrom('machines').select((eb) => eb.fn.countAll<number>().as('n'));
  if (userId !== undefined) query = query.where('license_user_id', '=', userId);
  const row = await query
    .where('license_id', '=', licenseId)
    .where(holdsSeat(now))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertMachine(db: Executor, machine: Machine): Promise<void> {
  await db.insertInto('machines').values(toMachineRow(machine)).execute();
}

export async function replaceMachine(db: Executor, machine: Machine): Promise<void> {
  const { id: _id, ...values } = toMachineRow(machine);
  await db.updateTable('machines').set(values).where('id', '=', machine.id).execute();
}

export async function deleteMachineRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('machines').where('id', '=', id).execute();
}

/** Machines of licenses the actor may see: a customer only its organization's, a partner only its products'. */
function scoped<O>(query: SelectQueryBuilder<Database, 'machines', O>, actor: Actor) {
  if (actor.scope.customerId === undefined && actor.scope.productIds === undefined) return query;
  return query.where('machines.license_id', 'in', (eb) => licenseIdsInScope(eb, actor));
}

export async function findMachineRow(db: Executor, actor: Actor, id: string): Promise<MachineRow | undefined> {
  return scoped(db.selectFrom('machines').selectAll('machines'), actor).where('machines.id', '=', id).executeTakeFirst();
}

/** What event lists name machines by: a customer gets the names of its own organization's machines only. */
export async function machineLabels(db: Executor, actor: Actor, ids: string[]) {
  const { customerId } = actor.scope;
  // A partner's scope stays whole (its customers' licenses); a customer's narrows to its organization.
  const byCustomer: Actor = actor.scope.partnerId !== undefined ? actor : { ...actor, scope: customerId !== undefined ? { customerId } : {} };
  return scoped(db.selectFrom('machines').select(['machines.id', 'machines.name', 'machines.hostname', 'machines.fingerprint']), byCustomer).where('machines.id', 'in', ids).execute();
}

export interface MachineFilter {
  licenseId?: string;
  fingerprint?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

export async function listMachineRows(db: Executor, actor: Actor, filter: MachineFilter): Promise<MachineRow[]> {
  let query = scoped(db.selectFrom('machines').selectAll('machines'), actor)
    .orderBy('machines.id', 'desc')
    .limit(filter.limit + 1);
  if (filter.licenseId) query = query.where('machines.license_id', '=', filter.licenseId);
  if (filter.fingerprint) query = query.where('machines.fingerprint', '=', filter.fingerprint);
  if (filter.q) {
    const like = `%${filter.q.toLowerCase()}%`;
    query = query.where((eb) =>
      eb.or([eb(eb.fn('lower', ['machines.name']), 'like', like), eb(eb.fn('lower', ['machines.hostname']), 'like', like), eb('machines.fingerprint', '=', filter.q!)]),
    );
  }
  if (filter.cursor) query = query.where('machines.id', '<', filter.cursor);
  return query.execute();
}

/** A named user of a per-user license. */
export interface LicenseUser {
  id: string;
  licenseId: string;
  identifier: string;
  name: string | null;
  createdAt: string;
}

export async function listLicenseUsers(db: Executor, licenseId: string): Promise<LicenseUser[]> {
  const rows = await db.selectFrom('license_users').selectAll().where('license_id', '=', licenseId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, licenseId: r.license_id, identifier: r.identifier, name: r.name, createdAt: toIso(r.created_at) }));
}

/** Seats held now (node-locked machines, floating ones with a live lease, borrowed ones) on the actor's licenses. */
export async function countSeatsInUse(db: Executor, actor: Actor, now: Date): Promise<number> {
  const row = await db
    .selectFrom('machines')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('machines.license_id', 'in', (eb) => licenseIdsInScope(eb, actor))
    .where(holdsSeat(now))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Live seats per license for these licenses, in one grouped query (the licenses module's lists and
 * reads, through its `seatCounts` hook). Licenses without a live seat are absent from the map.
 */
/** The seat rule as a correlated subquery over `licenses.id` (the licenses module's one-query client lookup). */
export function liveSeatsOfLicense(eb: ExpressionBuilder<Database, 'licenses'>, now: string) {
  return eb
    .selectFrom('machines')
    .select((m) => m.fn.countAll<number>().as('n'))
    .whereRef('machines.license_id', '=', 'licenses.id')
    .where(holdsSeat(now))
    .$castTo<number | null>()
    .as('active_machines');
}

export async function countSeatsByLicense(db: Executor, licenseIds: string[], now: Date): Promise<Map<string, number>> {
  if (licenseIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('machines')
    .select((eb) => ['machines.license_id', eb.fn.countAll<number>().as('n')])
    .where('machines.license_id', 'in', [...new Set(licenseIds)])
    .where(holdsSeat(now))
    .groupBy('machines.license_id')
    .execute();
  return new Map(rows.map((r) => [r.license_id, Number(r.n)]));
}
