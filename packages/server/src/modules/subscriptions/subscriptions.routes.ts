import Type from 'typebox';
import { commonErrors, IdParams, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { LicenseSchema } from '../licenses/licenses.schemas.js';
import {
  CancelSubscriptionBody,
  ExportRenewalsQuery,
  ListRenewalsQuery,
  RenewalSchema,
  RenewSubscriptionBody,
  RenewSubscriptionResponse,
} from './subscriptions.schemas.js';

/** Subscription actions on licenses and the renewals report. */
export function subscriptionRoutes(app: App, { subscriptions }: Services): void {
  app.post(
    '/v1/licenses/:id/actions/cancel-subscription',
    {
      schema: {
        operationId: 'cancelSubscription',
        summary: "Cancel a license's subscription",
        tags: ['subscriptions'],
        description:
          'Auto-renewal off; the license stays valid until the term ends. Less than cancellationNoticeDays before the term ends: 422 CANCELLATION_PERIOD_PASSED (the message says when notice was due) unless staff pass override. Cancelling twice changes nothing.',
        params: IdParams,
        body: CancelSubscriptionBody,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'subscriptions:cancel' } },
    },
    async (request) => subscriptions.cancel(ctx(request), request.params.id, request.body ?? {}),
  );

  app.post(
    '/v1/licenses/:id/actions/resume-subscription',
    {
      schema: {
        operationId: 'resumeSubscription',
        summary: 'Resume a cancelled subscription',
        tags: ['subscriptions'],
        description: 'Undo a cancellation: the subscription renews at term end again (until it has ended).',
        params: IdParams,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'subscriptions:cancel' } },
    },
    async (request) => subscriptions.resume(ctx(request), request.params.id),
  );

  app.post(
    '/v1/licenses/:id/actions/renew-subscription',
    {
      schema: {
        operationId: 'renewSubscription',
        summary: 'Renew a subscription for one term',
        tags: ['subscriptions'],
        description:
          'Renew one term now (manually, or from a billing system with source billing and the invoice id as reference, which makes repeats harmless). Recorded as a renewal with its price; the customer gets the renewed mail.',
        params: IdParams,
        body: RenewSubscriptionBody,
        response: { 200: RenewSubscriptionResponse, ...commonErrors },
      },
      config: { access: { permission: 'licenses:lifecycle' } },
    },
    async (request) => subscriptions.renew(ctx(request), request.params.id, request.body ?? {}),
  );

  app.get(
    '/v1/renewals',
    {
      schema: {
        operationId: 'listRenewals',
        summary: 'List recorded renewals',
        tags: ['subscriptions'],
        description: 'Renewals, newest first, for billing and revenue reports: filter by the period they were made in, product, customer, license or source.',
        querystring: ListRenewalsQuery,
        response: { 200: Page(RenewalSchema), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => subscriptions.listRenewals(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/renewals/export',
    {
      schema: {
        operationId: 'exportRenewals',
        summary: 'Export renewals as CSV',
        tags: ['subscriptions'],
        description: 'The same filters as listRenewals, as CSV (oldest first, amounts in major units) for ERP import. At most 100,000 rows; the header Keyhaven-Truncated: true says when there were more.',
        querystring: ExportRenewalsQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request, reply) => {
      const { csv, truncated } = await subscriptions.exportRenewals(ctx(request), request.query);
      if (truncated) reply.header('keyhaven-truncated', 'true');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="renewals.csv"')
        .send(csv);
    },
  );
}
