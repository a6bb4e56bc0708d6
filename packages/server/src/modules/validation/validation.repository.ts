import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Actor } from '../../http/access.js';
import { licenseIdsInScope } from '../licenses/licenses.access.js';
import type { Selectable } from 'kysely';
import type { ValidationLogEntry } from './validation-log.js';
import type { ValidationsTable } from './validation.tables.js';

/** One validation as the log shows it: what was recorded, with its row id. */
export interface LoggedValidation extends ValidationLogEntry {
  id: string;
}

export interface ValidationFilter {
  licenseId?: string | undefined;
  customerId?: string | undefined;
  code?: string | undefined;
  /** ISO times: at or after `from`, before `to`. */
  from?: string | undefined;
  to?: string | undefined;
  ip?: string | undefined;
  fingerprint?: string | undefined;
  limit: number;
  /** The last row of the previous page (newest first: the next page is strictly older). */
  after?: { at: string; id: number } | undefined;
}

/**
 * A page of the log, newest first (`at`, then `id`, both descending), `limit + 1` rows so the caller knows
 * whether another page follows. The license filter is served by `validations_license_idx`, the customer
 * filter (and a customer's scope) by `validations_customer_idx`, the rest by `validations_at_idx`; code,
 * IP and fingerprint filter the rows those ranges yield.
 *
 * Scope: a customer reads the rows recorded under its organization (`customer_id`, the license's customer
 * when it was validated); a partner the rows of the licenses it may see (its customers' and those it sold,
 * of its products); validations of an unknown key (no license) are staff's only.
 */
export async function listValidations(db: Executor, actor: Actor, filter: ValidationFilter): Promise<LoggedValidation[]> {
  let query = db.selectFrom('validations').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1);
  if (actor.scope.customerId !== undefined) query = query.where('customer_id', '=', actor.scope.customerId);
  if (actor.scope.partnerId !== undefined) query = query.where('license_id', 'in', (eb) => licenseIdsInScope(eb, actor));
  if (filter.licenseId !== undefined) query = query.where('license_id', '=', filter.licenseId);
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
  if (filter.code !== undefined) query = query.where('code', '=', filter.code);
  if (filter.ip !== undefined) query = query.where('ip', '=', filter.ip);
  if (filter.fingerprint !== undefined) query = query.where('fingerprint', '=', filter.fingerprint);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  const after = filter.after;
  if (after !== undefined) {
    query = query.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]));
  }
  const rows = await query.execute();
  return rows.map(toLogged);
}

function toLogged(row: Selectable<ValidationsTable>): LoggedValidation {
  return {
    id: String(row.id),
    at: toIso(row.at),
    licenseId: row.license_id,
    customerId: row.customer_id,
    productId: row.product_id,
    code: row.code,
    fingerprint: row.fingerprint,
    ip: row.ip,
    userAgent: row.user_agent,
    version: row.version,
  };
}

export interface VersionUse {
  version: string;
  /** Distinct licenses that validated with this version in the period. */
  licenses: number;
  /** Distinct machine fingerprints (validations that named none are not counted). */
  fingerprints: number;
  lastSeenAt: string;
}

/**
 * Per version the app reported in [from, to) (no `to`: up to now, included): distinct licenses, distinct fingerprints, last seen. Reads the
 * period through `validations_at_idx` (a product narrows the rows found, it is no index of its own); most
 * licenses first, ties the newest version first. Validations without a version (apps that do not send it) are left out.
 */
export async function versionsInUse(db: Executor, filter: { from: string; to?: string | undefined; productId?: string | undefined }): Promise<VersionUse[]> {
  let query = db
    .selectFrom('validations')
    .select((eb) => [
      'version',
      eb.fn.count<string | number>('license_id').distinct().as('licenses'),
      eb.fn.count<string | number>('fingerprint').distinct().as('fingerprints'),
      eb.fn.max('at').as('last_seen_at'),
    ])
    .where('at', '>=', filter.from)
    .where('version', 'is not', null)
    .groupBy('version');
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (filter.productId !== undefined) query = query.where('product_id', '=', filter.productId);
  const rows = await query.execute();
  return rows
    .map((row) => ({ version: row.version!, licenses: Number(row.licenses), fingerprints: Number(row.fingerprints), lastSeenAt: toIso(row.last_seen_at) }))
    .sort((a, b) => b.licenses - a.licenses || b.lastSeenAt.localeCompare(a.lastSeenAt) || b.version.localeCompare(a.version, 'en', { numeric: true }));
}
