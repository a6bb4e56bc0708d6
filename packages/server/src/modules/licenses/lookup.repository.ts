import { createQueryId, type AliasedExpression, type CompiledQuery, type ExpressionBuilder } from 'kysely';
import { parseJson, toIso, type Executor } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';
import { licenseScopeFilter } from './licenses.access.js';
import type { ClientLicense } from './license.js';
import { licenseStatus } from './license-status.js';
import type { LicenseRow, LicenseType } from './licenses.repository.js';

/**
 * The client hot path's license lookup (validation, activation, updates, offline files): one indexed query
 * by key digest, compiled once per database handle.
 *
 * It is the one place the licenses module reads other modules' tables (listed in boundaries.test.ts):
 * it joins the product (its code) and the policy (domain rule, overdraft, what expiry ends) and counts the
 * live seats in SQL with the machines module's seat rule (a subquery it installs: `SeatCounter.liveSeats`). Every client request runs
 * it, so it stays one round trip instead of one per owner; the admin reads (licenses.repository.ts) ask
 * the owners' services instead. Issue 17 is to cache this lookup.
 */

const NOW = '\u0000now';
const DIGEST = '\u0000digest';

/**
 * Seats held at `now` as a correlated subquery over `licenses.id`, aliased `active_machines`: the machines
 * module's seat rule (node-locked, unlapsed floating lease, borrowed), given through its wiring.
 */
export type LiveSeats = (eb: ExpressionBuilder<Database, 'licenses'>, now: string) => AliasedExpression<number | null, 'active_machines'>;

function validationQuery(db: Executor, liveSeats: LiveSeats) {
  return db
    .selectFrom('licenses')
    .innerJoin('products', 'products.id', 'licenses.product_id')
    .innerJoin('policies', 'policies.id', 'licenses.policy_id')
    // Only what the rules and the client's view of the license read: no key material, billing or notes.
    .select([
      'licenses.id',
      'licenses.name',
      'licenses.product_id',
      'licenses.type',
      'licenses.starts_at',
      'licenses.expires_at',
      'licenses.grace_ends_at',
      'licenses.suspended_at',
      'licenses.revoked_at',
      'licenses.max_machines',
      'licenses.max_users',
      'licenses.floating',
      'licenses.heartbeat_seconds',
      'licenses.features',
      'licenses.domains',
      'licenses.meters',
      'licenses.countries',
      'licenses.customer_id',
      'licenses.policy_id',
      'products.code as product_code',
      'policies.enforce_domains',
      'policies.overdraft',
      'policies.expiry_ends',
    ])
    .select((eb) => liveSeats(eb, NOW));
}

export type ValidationRow = Pick<
  LicenseRow,
  | 'id'
  | 'name'
  | 'product_id'
  | 'type'
  | 'starts_at'
  | 'expires_at'
  | 'grace_ends_at'
  | 'suspended_at'
  | 'revoked_at'
  | 'max_machines'
  | 'max_users'
  | 'floating'
  | 'heartbeat_seconds'
  | 'features'
  | 'domains'
  | 'meters'
  | 'countries'
  | 'customer_id'
  | 'policy_id'
> & { product_code: string; enforce_domains: number; overdraft: string; expiry_ends: string; active_machines: number | null };

/** The lookup compiled once per database handle: only the digest parameter changes between calls. */
const compiledValidationQueries = new WeakMap<Executor, CompiledQuery<ValidationRow>>();

/**
 * The hot-path lookup for validation: the license with its product code and the policy's domain rule.
 * Building and compiling the query costs more than running it, so it is compiled once (with a
 * placeholder digest) and executed with each request's digest as its one parameter.
 */
export async function findForValidation(db: Executor, liveSeats: LiveSeats, keyDigest: string, now: Date): Promise<ValidationRow | undefined> {
  let compiled = compiledValidationQueries.get(db);
  if (compiled === undefined) {
    compiled = validationQuery(db, liveSeats).where('licenses.key_digest', '=', DIGEST).compile() as CompiledQuery<ValidationRow>;
    // The digest once, the time twice (the seat rule compares it with the lease and with a borrowed seat's end).
    if (compiled.parameters.length !== 3) throw new Error('the validation query must take exactly three parameters');
    compiledValidationQueries.set(db, compiled);
  }
  const nowIso = now.toISOString();
  const parameters = compiled.parameters.map((p) => (p === NOW ? nowIso : p === DIGEST ? keyDigest : p));
  const { rows } = await db.executeQuery<ValidationRow>({ query: compiled.query, sql: compiled.sql, parameters, queryId: createQueryId() });
  return rows[0];
}

/** The same row as `findForValidation`, by license id and within the actor's scope (signed-in activation). */
export async function findForClientById(db: Executor, liveSeats: LiveSeats, actor: Actor, id: string, now: Date): Promise<ValidationRow | undefined> {
  const compiled = licenseScopeFilter(validationQuery(db, liveSeats), actor).where('licenses.id', '=', id).compile();
  const nowIso = now.toISOString();
  const parameters = compiled.parameters.map((p) => (p === NOW ? nowIso : p));
  const { rows } = await db.executeQuery<ValidationRow>({ ...compiled, parameters, queryId: createQueryId() });
  return rows[0];
}

/** The client view straight from the lookup's row (the hot path: no full record is built). */
export function toClientLicense(row: ValidationRow, now: Date): ClientLicense {
  const facts = {
    startsAt: toIso(row.starts_at),
    expiresAt: toIso(row.expires_at),
    graceEndsAt: toIso(row.grace_ends_at),
    suspendedAt: toIso(row.suspended_at),
    revokedAt: toIso(row.revoked_at),
  };
  return {
    id: row.id,
    name: row.name,
    product: row.product_code,
    productId: row.product_id,
    type: row.type as LicenseType,
    status: licenseStatus(facts, now),
    startsAt: facts.startsAt,
    expiresAt: facts.expiresAt,
    graceEndsAt: facts.graceEndsAt,
    features: parseJson(row.features, []),
    domains: parseJson(row.domains, []),
    maxMachines: row.max_machines,
    maxUsers: row.max_users,
    activeMachines: Number(row.active_machines),
    floating: Boolean(row.floating),
    heartbeatSeconds: row.heartbeat_seconds,
    expiryEnds: row.expiry_ends === 'updates' ? 'updates' : 'access',
  };
}
