import Type from 'typebox';
import { commonErrors, Id, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';

const Day = Type.String({ format: 'date', description: 'A calendar day, YYYY-MM-DD (UTC)' });
const Count = Type.Integer({ minimum: 0 });

const ActiveSubscriptionsQuery = Type.Object(
  { day: Day, partnerId: Type.Optional(Id) },
  { additionalProperties: false },
);
const ActivityQuery = Type.Object(
  { from: Type.String({ ...Day, description: 'First day of the period (UTC), included' }), to: Type.String({ ...Day, description: 'Last day of the period (UTC), included' }), partnerId: Type.Optional(Id) },
  { additionalProperties: false },
);

const ActiveSubscriptionLine = Type.Object({
  licenseId: Type.String(),
  customerId: Nullable(Type.String()),
  customerName: Nullable(Type.String()),
  productId: Type.String(),
  productCode: Type.String(),
  productName: Type.String(),
  policyId: Type.String(),
  type: Type.String(),
  creditedAs: StringEnum(['sold', 'customer'] as const, { description: "sold: the partner sold it (soldBy); customer: the vendor sold it to the partner's customer" }),
  termMonths: Nullable(Type.Integer()),
  termDays: Nullable(Type.Integer()),
  termStartsAt: Nullable(Timestamp),
  expiresAt: Nullable(Timestamp),
  price: Nullable(Type.Integer({ description: 'A full term, minor units (cents)' })),
  currency: Nullable(Type.String()),
  suspended: Type.Boolean(),
});

const ActiveSubscriptionsReport = Type.Object({
  day: Type.String(),
  partners: Type.Array(Type.Object({ partnerId: Type.String(), partnerName: Type.String(), activeSubscriptions: Count, licenses: Type.Array(ActiveSubscriptionLine) })),
});

const PartnerActivityReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  partners: Type.Array(
    Type.Object({
      partnerId: Type.String(),
      partnerName: Type.String(),
      licensesCreated: Count,
      trialsCreated: Type.Integer({ minimum: 0, description: 'Of licensesCreated, the trials' }),
      renewals: Count,
      renewalAmounts: Type.Array(Type.Object({ currency: Type.String(), amount: Type.Integer({ description: 'Minor units' }) })),
    }),
  ),
});

const CREDIT =
  'A partner is credited with the licenses it sold (soldBy) and, when the vendor sold them (soldBy null), with the licenses of customers that belong to it. Staff: every partner, or partnerId; a partner admin: its own partner only (another id: 404).';

/** Partner reports for batch invoicing (JSON, and CSV under /export like the renewals export). */
export function partnerReportRoutes(app: App, { partnerReports }: Services): void {
  app.get(
    '/v1/reports/partners/active-subscriptions',
    {
      schema: {
        operationId: 'getPartnerActiveSubscriptions',
        summary: "Active subscriptions of each partner's customers on a day",
        tags: ['reports'],
        description: `Per partner, the subscription licenses active on the day (UTC): term started by the end of the day, expiry after its start (grace does not count), not revoked before it; suspended ones count, flagged. ${CREDIT}`,
        querystring: ActiveSubscriptionsQuery,
        response: { 200: ActiveSubscriptionsReport, ...commonErrors },
      },
      config: { access: { permission: 'reports:read' } },
    },
    async (request) => partnerReports.activeSubscriptions(ctx(request), request.query),
  );

  app.get(
    '/v1/reports/partners/active-subscriptions/export',
    {
      schema: {
        operationId: 'exportPartnerActiveSubscriptions',
        summary: 'Export active subscriptions per partner as CSV',
        tags: ['reports'],
        description: `getPartnerActiveSubscriptions as CSV, one line per license, prices in major units. ${CREDIT}`,
        querystring: ActiveSubscriptionsQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'reports:read' } },
    },
    async (request, reply) => {
      const csv = await partnerReports.activeSubscriptionsCsv(ctx(request), request.query);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="partner-subscriptions-${request.query.day}.csv"`).send(csv);
    },
  );

  app.get(
    '/v1/reports/partners/activity',
    {
      schema: {
        operationId: 'getPartnerActivity',
        summary: 'Licenses created and renewed per partner in a period',
        tags: ['reports'],
        description: `Per partner, the licenses (and of them trials) created and the renewals recorded from the first through the last day (UTC), with renewal amounts per currency. ${CREDIT}`,
        querystring: ActivityQuery,
        response: { 200: PartnerActivityReport, ...commonErrors },
      },
      config: { access: { permission: 'reports:read' } },
    },
    async (request) => partnerReports.activity(ctx(request), request.query),
  );

  app.get(
    '/v1/reports/partners/activity/export',
    {
      schema: {
        operationId: 'exportPartnerActivity',
        summary: 'Export partner activity as CSV',
        tags: ['reports'],
        description: `getPartnerActivity as CSV, one line per partner, renewal amounts in major units. ${CREDIT}`,
        querystring: ActivityQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'reports:read' } },
    },
    async (request, reply) => {
      const csv = await partnerReports.activityCsv(ctx(request), request.query);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="partner-activity-${request.query.from}-${request.query.to}.csv"`).send(csv);
    },
  );
}
