import Type from 'typebox';
import { commonErrors, IdParams, ListQuery, NoContent, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import {
  CreateWebhookEndpointBody,
  ListWebhookDeliveriesQuery,
  RotateWebhookSecretBody,
  UpdateWebhookEndpointBody,
  WebhookDeliveryDetailSchema,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
  WebhookEventTypeSchema,
} from './webhooks.schemas.js';

const tags = ['webhooks'];

export function webhookRoutes(app: App, { webhookEndpoints, webhookDeliveries }: Services): void {
  app.get(
    '/v1/webhook-event-types',
    {
      schema: {
        operationId: 'listWebhookEventTypes',
        summary: 'List webhook event types',
        tags,
        description: 'The event catalogue: every audit action is a webhook event type; these are the ones that exist, with what they mean.',
        response: { 200: Type.Object({ data: Type.Array(WebhookEventTypeSchema) }), ...commonErrors },
      },
      config: { access: { permission: 'webhooks:read' } },
    },
    async () => webhookEndpoints.eventTypes(),
  );

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        operationId: 'createWebhookEndpoint',
        summary: 'Create a webhook endpoint',
        tags,
        description: 'Add a receiver. The answer holds the signing secret; it is shown only this once.',
        body: CreateWebhookEndpointBody,
        response: { 201: WebhookEndpointWithSecretSchema, ...commonErrors },
      },
      config: { access: { permission: 'webhooks:write' } },
    },
    async (request, reply) => reply.status(201).send(await webhookEndpoints.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: { operationId: 'listWebhookEndpoints', summary: 'List webhook endpoints', tags, querystring: ListQuery, response: { 200: Page(WebhookEndpointSchema), ...commonErrors } },
      config: { access: { permission: 'webhooks:read' } },
    },
    async (request) => webhookEndpoints.list(request.query.limit ?? 25, request.query.cursor),
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      schema: { operationId: 'getWebhookEndpoint', summary: 'Get a webhook endpoint', tags, params: IdParams, response: { 200: WebhookEndpointSchema, ...commonErrors } },
      config: { access: { permission: 'webhooks:read' } },
    },
    async (request) => webhookEndpoints.get(request.params.id),
  );

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        operationId: 'updateWebhookEndpoint',
        summary: 'Update a webhook endpoint',
        tags,
        description: 'Change the URL, subscriptions or description; `enabled: false` pauses deliveries, `enabled: true` resumes them and clears the failure streak.',
        params: IdParams,
        body: UpdateWebhookEndpointBody,
        response: { 200: WebhookEndpointSchema, ...commonErrors },
      },
      config: { access: { permission: 'webhooks:write' } },
    },
    async (request) => webhookEndpoints.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: { operationId: 'deleteWebhookEndpoint', summary: 'Delete a webhook endpoint', tags, params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'webhooks:write' } },
    },
    async (request, reply) => {
      await webhookEndpoints.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/actions/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        summary: "Rotate a webhook endpoint's secret",
        tags,
        description: 'Replace the signing secret; the new one is in the answer, shown only this once. `overlapHours` keeps the old one signing too meanwhile.',
        params: IdParams,
        body: RotateWebhookSecretBody,
        response: { 200: WebhookEndpointWithSecretSchema, ...commonErrors },
      },
      config: { access: { permission: 'webhooks:write' } },
    },
    async (request) => webhookEndpoints.rotateSecret(ctx(request), request.params.id, request.body.overlapHours),
  );

  app.post(
    '/v1/webhook-endpoints/:id/actions/test',
    {
      schema: {
        operationId: 'sendTestWebhook',
        summary: 'Send a test webhook',
        tags,
        description: 'Queue a `ping` event to this endpoint (one attempt). Follow it with getWebhookDelivery.',
        params: IdParams,
        response: { 202: WebhookDeliverySchema, ...commonErrors },
      },
      config: { access: { permission: 'webhooks:write' } },
    },
    async (request, reply) => reply.status(202).send(await webhookDeliveries.sendTest(ctx(request), request.params.id)),
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: "List an endpoint's webhook deliveries",
        tags,
        description: "The endpoint's delivery log, newest first.",
        params: IdParams,
        querystring: ListWebhookDeliveriesQuery,
        response: { 200: Page(WebhookDeliverySchema), ...commonErrors },
      },
      config: { access: { permission: 'webhooks:read' } },
    },
    async (request) => webhookDeliveries.listDeliveries(request.params.id, { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/webhook-deliveries/:id',
    {
      schema: {
        operationId: 'getWebhookDelivery',
        summary: 'Get a webhook delivery',
        tags,
        description: 'One delivery with its body and every attempt (status code, first KiB of the answer, duration, error).',
        params: IdParams,
        response: { 200: WebhookDeliveryDetailSchema, ...commonErrors },
      },
      config: { access: { permission: 'webhooks:read' } },
    },
    async (request) => webhookDeliveries.getDelivery(request.params.id),
  );

  app.post(
    '/v1/webhook-deliveries/:id/actions/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhook',
        summary: 'Redeliver a webhook',
        tags,
        description: 'Send the event again as a new delivery (one attempt, same body and Keyhaven-Event-Id).',
        params: IdParams,
        response: { 202: WebhookDeliverySchema, ...commonErrors },
      },
      config: { access: { permission: 'webhooks:write' } },
    },
    async (request, reply) => reply.status(202).send(await webhookDeliveries.redeliver(ctx(request), request.params.id)),
  );
}
