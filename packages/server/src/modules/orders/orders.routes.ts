import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { sendCsvExport } from '../../http/csv-reply.js';
import { commonErrors, ErrorBody, IdParams, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreateOrderBody, ExportOrdersQuery, ListOrdersQuery, OrderResultSchema, OrderSchema, StripeWebhookResponse } from './orders.schemas.js';
import { STRIPE_METADATA } from './stripe.js';

export function orderRoutes(app: App, { orders }: Services): void {
  app.post(
    '/v1/orders',
    {
      schema: {
        operationId: 'createOrder',
        summary: 'Create an order',
        tags: ['orders'],
        description:
          'Records a purchase: finds or creates the customer by e-mail, a portal user (customer-admin, with a set-password link in the mail), one license per line (quantity × the policy\'s seats), and queues the confirmation mail with the keys. Idempotent by (source, externalId): a repeat answers 200 with the same order and licenses and issues or sends nothing; a repeat with different content is 409 ORDER_CONFLICT. Staff enter an order received by e-mail with source "manual".',
        body: CreateOrderBody,
        response: { 200: OrderResultSchema, 201: OrderResultSchema, ...commonErrors },
      },
      config: { access: { permission: 'orders:write' } },
    },
    async (request, reply) => {
      const { order, licenses, created } = await orders.create(ctx(request), request.body);
      return reply.status(created ? 201 : 200).send({ ...order, licenses });
    },
  );

  app.get(
    '/v1/orders',
    {
      schema: { operationId: 'listOrders', summary: 'List orders', tags: ['orders'], querystring: ListOrdersQuery, response: { 200: Page(OrderSchema), ...commonErrors } },
      config: { access: { permission: 'orders:read' } },
    },
    async (request) => orders.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/orders/export',
    {
      schema: {
        operationId: 'exportOrders',
        summary: 'Export orders as CSV',
        tags: ['orders'],
        description:
          'The orders of listOrders (the same filters and scope) as CSV for ERP import: a header row, one line per line item (its order\'s columns repeated), newest order first, ISO-8601 UTC times, prices in major units. Streamed page by page; an error after the download started cuts it short.',
        querystring: ExportOrdersQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'orders:read' } },
    },
    async (request, reply) => sendCsvExport(reply, orders.exportCsv(ctx(request), request.query)),
  );

  app.get(
    '/v1/orders/:id',
    {
      schema: { operationId: 'getOrder', summary: 'Get an order', tags: ['orders'], params: IdParams, response: { 200: OrderSchema, ...commonErrors } },
      config: { access: { permission: 'orders:read' } },
    },
    async (request) => orders.get(ctx(request), request.params.id),
  );
}

/** The exact bytes of each webhook request: Stripe signs the body as sent, not a re-serialization of it. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * The Stripe webhook. Public (Stripe has no bearer token) but authenticated by Stripe's signature, which
 * covers the raw body: this scope replaces the JSON parser with one that keeps the bytes and then parses
 * them with Fastify's own (safe) parser, and accepts no other content type.
 */
export function stripeRoutes(app: App, { stripe }: Services): void {
  app.register(async (scope) => {
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      rawBodies.set(request, body as Buffer);
      // The default parser takes a Buffer as well as a string (secure-json-parse decodes it as UTF-8).
      parseJson(request, body as unknown as string, done);
    });

    scope.post(
      '/v1/integrations/stripe/webhook',
      {
        schema: {
          operationId: 'receiveStripeEvent',
          summary: 'Receive a Stripe webhook event',
          tags: ['integrations'],
          security: [],
          description: `Stripe webhook endpoint. Verifies \`Stripe-Signature\` against STRIPE_WEBHOOK_SECRET (5-minute tolerance); 400 SIGNATURE_INVALID otherwise, 503 INTEGRATION_NOT_CONFIGURED without a secret. checkout.session.completed (and async_payment_succeeded) creates an order from the session: the policy comes from metadata "${STRIPE_METADATA.policy}" (with "${STRIPE_METADATA.quantity}"), "${STRIPE_METADATA.items}" (a JSON list), or from expanded line items whose price or product has "${STRIPE_METADATA.policy}". Each event id is handled once; other event types are answered 200 ignored.`,
          headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String({ maxLength: 2000 })) }),
          response: { 200: StripeWebhookResponse, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 503: ErrorBody },
        },
        config: { access: { public: true } },
      },
      async (request) =>
        stripe.handleWebhook(rawBodies.get(request), request.body, request.headers['stripe-signature'] as string | undefined, { requestId: request.id, ip: request.ip }),
    );
  });
}
