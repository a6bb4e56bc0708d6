import { sql } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { Actor } from '../../http/access.js';
import { licenseScopeFilter } from './licenses.access.js';

export interface LicenseCounts {
  total: number;
  pending: number;
  active: number;
  grace: number;
  expired: number;
  suspended: number;
  revoked: number;
  expiringIn30Days: number;
  trialsActive: number;
  trialsEndingIn7Days: number;
  seatsLimit: number;
  unlimitedSeatLicenses: number;
}

const DAY_MS = 86_400_000;

/**
 * One pass over the actor's licenses counting each derived status the way `licenseStatus` derives it
 * (revoked > suspended > pending > expired > grace > active), plus what the dashboard shows next to it.
 */
export async function countLicenses(db: Executor, actor: Actor, now: Date): Promise<LicenseCounts> {
  const t = now.toISOString();
  const in30 = new Date(now.getTime() + 30 * DAY_MS).toISOString();
  const in7 = new Date(now.getTime() + 7 * DAY_MS).toISOString();
  const live = sql`licenses.revoked_at is null and licenses.suspended_at is null`;
  const started = sql`${live} and licenses.starts_at <= ${t}`;
  const active = sql`${started} and (licenses.expires_at is null or licenses.expires_at > ${t})`;
  const count = (condition: ReturnType<typeof sql>) => sql<number>`sum(case when ${condition} then 1 else 0 end)`;
  const row = await licenseScopeFilter(db.selectFrom('licenses'), actor)
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      count(sql`licenses.revoked_at is not null`).as('revoked'),
      count(sql`licenses.revoked_at is null and licenses.suspended_at is not null`).as('suspended'),
      count(sql`${live} and licenses.starts_at > ${t}`).as('pending'),
      count(sql`${started} and licenses.grace_ends_at <= ${t}`).as('expired'),
      count(sql`${started} and licenses.expires_at <= ${t} and licenses.grace_ends_at > ${t}`).as('grace'),
      count(active).as('active'),
      count(sql`${active} and licenses.expires_at <= ${in30}`).as('expiring'),
      count(sql`${active} and licenses.type = 'trial'`).as('trials'),
      count(sql`${active} and licenses.type = 'trial' and licenses.expires_at <= ${in7}`).as('trials_ending'),
      sql<number>`sum(case when ${active} and licenses.max_machines is not null then licenses.max_machines else 0 end)`.as('seats_limit'),
      count(sql`${active} and licenses.max_machines is null`).as('unlimited'),
    ])
    .executeTakeFirstOrThrow();
  const n = (v: unknown) => Number(v ?? 0);
  return {
    total: n(row.total),
    pending: n(row.pending),
    active: n(row.active),
    grace: n(row.grace),
    expired: n(row.expired),
    suspended: n(row.suspended),
    revoked: n(row.revoked),
    expiringIn30Days: n(row.expiring),
    trialsActive: n(row.trials),
    trialsEndingIn7Days: n(row.trials_ending),
    seatsLimit: n(row.seats_limit),
    unlimitedSeatLicenses: n(row.unlimited),
  };
}

/** Licenses per product within the actor's scope, most first (ties by product id). */
export async function countLicensesByProduct(db: Executor, actor: Actor, limit: number): Promise<Array<{ productId: string; licenses: number }>> {
  const rows = await licenseScopeFilter(db.selectFrom('licenses'), actor)
    .select((eb) => ['licenses.product_id', eb.fn.countAll<number>().as('n')])
    .groupBy('licenses.product_id')
    .orderBy('n', 'desc')
    .orderBy('licenses.product_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ productId: r.product_id, licenses: Number(r.n) }));
}
