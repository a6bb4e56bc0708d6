import type { Clock } from '../../lib/clock.js';
import type { RequestContext } from '../events/events.service.js';
import type { LicenseCounts, LicensesService } from '../licenses/licenses.service.js';
import type { MachinesService } from '../machines/machines.service.js';
import type { ProductsService } from '../products/products.service.js';

export interface Overview {
  at: string;
  licenses: Omit<LicenseCounts, 'seatsLimit' | 'unlimitedSeatLicenses' | 'expiringIn30Days' | 'trialsActive' | 'trialsEndingIn7Days'> & { expiringIn30Days: number };
  trials: { active: number; endingIn7Days: number };
  seats: { inUse: number; limit: number; unlimitedLicenses: number };
  byProduct: Array<{ productId: string; code: string; name: string; licenses: number }>;
}

export interface StatsDeps {
  clock: Clock;
  licenses: LicensesService;
  machines: MachinesService;
  products: ProductsService;
}

/**
 * The dashboard's figures, computed by the database at the moment of asking (status is derived, never
 * stored): licenses by status, expiring in 30 days, trials, seats in use of the seat limit, licenses per
 * product. Customers get the same figures for their own organization. Each module counts its own rows.
 */
export class StatsService {
  constructor(private readonly deps: StatsDeps) {}

  async overview(ctx: RequestContext): Promise<Overview> {
    const { clock, licenses, machines, products } = this.deps;
    const now = clock.now();
    const counts = await licenses.countByStatus(ctx, now);
    const inUse = await machines.seatsInUse(ctx, now);
    const perProduct = await licenses.countByProduct(ctx, 10);
    const labels = await products.labels(perProduct.map((p) => p.productId));
    const byProduct = perProduct.map((p) => ({ productId: p.productId, code: labels.get(p.productId)?.code ?? '', name: labels.get(p.productId)?.name ?? '', licenses: p.licenses }));
    const { seatsLimit, unlimitedSeatLicenses, trialsActive, trialsEndingIn7Days, ...rest } = counts;
    return {
      at: now.toISOString(),
      licenses: rest,
      trials: { active: trialsActive, endingIn7Days: trialsEndingIn7Days },
      seats: { inUse, limit: seatsLimit, unlimitedLicenses: unlimitedSeatLicenses },
      byProduct,
    };
  }
}
