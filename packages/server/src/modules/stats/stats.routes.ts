import Type from 'typebox';
import { commonErrors, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';

const Count = Type.Integer({ minimum: 0 });

const OverviewSchema = Type.Object({
  at: Timestamp,
  licenses: Type.Object({
    total: Count,
    pending: Count,
    active: Count,
    grace: Count,
    expired: Count,
    suspended: Count,
    revoked: Count,
    expiringIn30Days: Type.Integer({ minimum: 0, description: 'Active licenses whose expiry falls in the next 30 days' }),
  }),
  trials: Type.Object({ active: Count, endingIn7Days: Count }),
  seats: Type.Object({
    inUse: Type.Integer({ minimum: 0, description: 'Node-locked machines and floating machines with a live lease' }),
    limit: Type.Integer({ minimum: 0, description: 'The sum of maxMachines over active licenses with a seat limit' }),
    unlimitedLicenses: Type.Integer({ minimum: 0, description: 'Active licenses without a seat limit' }),
  }),
  byProduct: Type.Array(Type.Object({ productId: Type.String(), code: Type.String(), name: Type.String(), licenses: Count }), { description: 'Licenses per product, the ten with most' }),
});

/** The dashboard figures (vendor console and customer portal). */
export function statsRoutes(app: App, { stats }: Services): void {
  app.get(
    '/v1/stats/overview',
    {
      schema: {
        operationId: 'getOverview',
        summary: 'Get dashboard statistics',
        tags: ['reports'],
        description: 'Licenses by status (derived at the time of asking), expiring in 30 days, trials, seats in use of the limit, licenses per product. Customers: their own organization.',
        response: { 200: OverviewSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => stats.overview(ctx(request)),
  );
}
