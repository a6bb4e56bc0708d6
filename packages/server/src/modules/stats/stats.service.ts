import type { Db } from '../../db/database.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestContext } from '../events/events.service.js';
import { licenseCounts, licensesByProduct, seatsInUse, type LicenseCounts } from './stats.repository.js';

export interface Overview {
  at: string;
  licenses: Omit<LicenseCounts, 'seatsLimit' | 'unlimitedSeatLicenses' | 'expiringIn30Days' | 'trialsActive' | 'trialsEndingIn7Days'> & { expiringIn30Days: number };
  trials: { active: number; endingIn7Days: number };
  seats: { inUse: number; limit: number; unlimitedLicenses: number };
  byProduct: Array<{ productId: string; code: string; name: string; licenses: number }>;
}

export interface StatsDeps {
  db: Db;
  clock: Clock;
}

/**
 * The dashboard's figures, computed by the database at the moment of asking (status is derived, never
 * stored): licenses by status, expiring in 30 days, trials, seats in use of the seat limit, licenses per
 * product. Customers get the same figures for their own organization.
 */
export class StatsService {
  constructor(private readonly deps: StatsDeps) {}

  async overview(ctx: RequestContext): Promise<Overview> {
    const now = this.deps.clock.now();
    const counts = await licenseCounts(this.deps.db, ctx.actor, now);
    const inUse = await seatsInUse(this.deps.db, ctx.actor, now);
    const byProduct = await licensesByProduct(this.deps.db, ctx.actor, 10);
    const { seatsLimit, unlimitedSeatLicenses, trialsActive, trialsEndingIn7Days, ...licenses } = counts;
    return {
      at: now.toISOString(),
      licenses,
      trials: { active: trialsActive, endingIn7Days: trialsEndingIn7Days },
      seats: { inUse, limit: seatsLimit, unlimitedLicenses: unlimitedSeatLicenses },
      byProduct,
    };
  }
}
