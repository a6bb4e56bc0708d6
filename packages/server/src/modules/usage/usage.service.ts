import { sql } from 'kysely';
import type { Db, Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import type { SeatsService } from '../machines/seats.service.js';
import { periodStart, type Meter } from '../policies/meters.js';

export interface UsageInput {
  key: string;
  feature: string;
  amount?: number;
  fingerprint?: string;
}

export interface UsageAnswer {
  feature: string;
  used: number;
  limit: number | null;
  remaining: number | null;
  period: Meter['period'];
  periodStart: string;
}

/** Alert thresholds, as fractions of the limit: an event is recorded when a use crosses one. */
const THRESHOLDS = [0.8, 1];

const UNUSABLE = { revoked: 'REVOKED', suspended: 'SUSPENDED', pending: 'NOT_STARTED', expired: 'EXPIRED' } as const;

export interface UsageDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  licenses: LicensesService;
  seats: SeatsService;
}

/**
 * Metered features. A use is one conditional UPDATE (`used + amount <= limit`), so concurrent uses never
 * spend more than the limit on either dialect; a counter from an earlier period is reset first by another
 * conditional UPDATE, so the reset happens once.
 */
export class UsageService {
  constructor(private readonly deps: UsageDeps) {}

  async record(input: UsageInput, meta: { ip: string; requestId?: string }): Promise<UsageAnswer> {
    const amount = input.amount ?? 1;
    const resolved = await this.deps.licenses.resolveKey(input.key);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has this key');
    const { license, row } = resolved;
    const code = UNUSABLE[license.status as keyof typeof UNUSABLE];
    if (code) throw new AppError(code, `The license is ${license.status}`);
    const meter = parseJson<Meter[]>(row.meters, []).find((m) => m.feature === input.feature);
    if (!meter) throw new AppError('FEATURE_NOT_METERED', `The license does not meter the feature ${input.feature}`);
    if (input.fingerprint !== undefined) {
      const facts = await this.deps.seats.facts(license.id, input.fingerprint);
      if (!facts.machine) throw new AppError('FINGERPRINT_NOT_ACTIVATED', 'This machine is not activated on the license');
      if (!facts.machine.alive) throw new AppError('HEARTBEAT_DEAD', 'The machine lease lapsed; activate again');
    }
    const now = this.deps.clock.now();
    const start = periodStart(meter.period, now).toISOString();
    const ctx: RequestContext = {
      actor: { type: 'license', id: license.id, role: 'customer-member', scope: {}, label: `license ${license.id}` },
      requestId: meta.requestId,
      ip: meta.ip,
    };
    const result = await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('usage_counters')
        .values({ license_id: license.id, feature: meter.feature, used: 0, period_start: start, updated_at: now.toISOString() })
        .onConflict((oc) => oc.columns(['license_id', 'feature']).doNothing())
        .execute();
      await trx
        .updateTable('usage_counters')
        .set({ used: 0, period_start: start })
        .where('license_id', '=', license.id)
        .where('feature', '=', meter.feature)
        .where('period_start', '<', start)
        .execute();
      let claim = trx
        .updateTable('usage_counters')
        .set({ used: sql<number>`used + ${amount}`, updated_at: now.toISOString() })
        .where('license_id', '=', license.id)
        .where('feature', '=', meter.feature);
      if (meter.limit !== null) claim = claim.where(sql<number>`used + ${amount}`, '<=', meter.limit);
      const claimed = await claim.returning('used').executeTakeFirst();
      if (!claimed) return { refused: true, used: await this.used(trx, license.id, meter.feature) };
      const used = Number(claimed.used);
      if (meter.limit !== null && meter.limit > 0) {
        for (const t of THRESHOLDS) {
          const mark = t * meter.limit;
          if (used - amount < mark && used >= mark) {
            await this.deps.events.record(trx, ctx, {
              action: t >= 1 ? 'usage.exhausted' : 'usage.threshold_reached',
              targetType: 'license',
              targetId: license.id,
              customerId: row.customer_id,
              after: { feature: meter.feature, used, limit: meter.limit, percent: Math.round(t * 100) },
            });
          }
        }
      }
      return { refused: false, used };
    });
    if (result.refused) {
      const used = result.used;
      throw new AppError('USAGE_EXHAUSTED', `Not enough credit left for ${meter.feature}: ${Math.max(0, (meter.limit ?? 0) - used)} of ${meter.limit}`, {
        feature: meter.feature,
        used,
        limit: meter.limit,
        remaining: Math.max(0, (meter.limit ?? 0) - used),
      });
    }
    return {
      feature: meter.feature,
      used: result.used,
      limit: meter.limit,
      remaining: meter.limit === null ? null : meter.limit - result.used,
      period: meter.period,
      periodStart: start,
    };
  }

  private async used(db: Executor, licenseId: string, feature: string): Promise<number> {
    const row = await db.selectFrom('usage_counters').select('used').where('license_id', '=', licenseId).where('feature', '=', feature).executeTakeFirst();
    return Number(row?.used ?? 0);
  }

  /** Of the requested features, those whose meter has no credit left in the current period. */
  async exhausted(licenseId: string, meters: Meter[], features: string[]): Promise<string[]> {
    const limited = meters.filter((m) => m.limit !== null && features.includes(m.feature));
    if (limited.length === 0) return [];
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .selectFrom('usage_counters')
      .select(['feature', 'used', 'period_start'])
      .where('license_id', '=', licenseId)
      .where('feature', 'in', limited.map((m) => m.feature))
      .execute();
    return limited
      .filter((m) => {
        const counter = rows.find((r) => r.feature === m.feature);
        const current = counter && toIso(counter.period_start) >= periodStart(m.period, now).toISOString();
        const used = current ? Number(counter.used) : 0;
        return used >= m.limit!;
      })
      .map((m) => m.feature);
  }

  /** Counters of a license as staff or its customer see them. */
  async list(ctx: RequestContext, licenseId: string): Promise<UsageAnswer[]> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    const now = this.deps.clock.now();
    const rows = await this.deps.db.selectFrom('usage_counters').selectAll().where('license_id', '=', license.id).execute();
    return license.meters.map((m) => {
      const start = periodStart(m.period, now).toISOString();
      const counter = rows.find((r) => r.feature === m.feature);
      const used = counter && toIso(counter.period_start) >= start ? Number(counter.used) : 0;
      return { feature: m.feature, used, limit: m.limit, remaining: m.limit === null ? null : Math.max(0, m.limit - used), period: m.period, periodStart: start };
    });
  }
}
