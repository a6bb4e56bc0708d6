import { answer, client, everyOf, type Answer, type ItemOf, type RequestBody } from './api.js';

/** The console's integration and administration calls: webhooks, API tokens and staff users. */

export type WebhookEndpoint = Answer<'/v1/webhook-endpoints/{id}', 'get'>;
export type WebhookEndpointWithSecret = Answer<'/v1/webhook-endpoints', 'post', 201>;
export type WebhookEndpointInput = RequestBody<'/v1/webhook-endpoints/{id}', 'patch'>;
export type WebhookEventType = ItemOf<'/v1/webhook-event-types'>;
export type WebhookDelivery = ItemOf<'/v1/webhook-endpoints/{id}/deliveries'>;
export type DeliveryStatus = WebhookDelivery['status'];
export const DELIVERY_STATUSES = everyOf<DeliveryStatus>()(['pending', 'sending', 'delivered', 'failed']);
export type WebhookDeliveryDetail = Answer<'/v1/webhook-deliveries/{id}', 'get'>;
export type WebhookAttempt = WebhookDeliveryDetail['attempts'][number];

export type ApiToken = ItemOf<'/v1/tokens'>;

/** A user as the users API answers it (more than the session's `User`). */
export type ManagedUser = ItemOf<'/v1/users'>;

const id = (value: string) => ({ path: { id: value } });

export const adminApi = {
  webhookEventTypes: () => answer(client.GET('/v1/webhook-event-types')).then((types) => types.data),
  listWebhookEndpoints: (cursor?: string | null) => answer(client.GET('/v1/webhook-endpoints', { params: { query: { limit: 50, cursor: cursor ?? undefined } } })),
  getWebhookEndpoint: (endpointId: string) => answer(client.GET('/v1/webhook-endpoints/{id}', { params: id(endpointId) })),
  createWebhookEndpoint: (body: RequestBody<'/v1/webhook-endpoints', 'post'>) => answer(client.POST('/v1/webhook-endpoints', { body })),
  updateWebhookEndpoint: (endpointId: string, body: WebhookEndpointInput) => answer(client.PATCH('/v1/webhook-endpoints/{id}', { params: id(endpointId), body })),
  deleteWebhookEndpoint: (endpointId: string) => answer(client.DELETE('/v1/webhook-endpoints/{id}', { params: id(endpointId) })),
  rotateWebhookSecret: (endpointId: string, overlapHours: number) =>
    answer(client.POST('/v1/webhook-endpoints/{id}/actions/rotate-secret', { params: id(endpointId), body: { overlapHours } })),
  sendTestWebhook: (endpointId: string) => answer(client.POST('/v1/webhook-endpoints/{id}/actions/test', { params: id(endpointId) })),
  listWebhookDeliveries: (endpointId: string, { cursor, ...query }: { status?: DeliveryStatus; eventType?: string; limit?: number; cursor?: string | null }) =>
    answer(client.GET('/v1/webhook-endpoints/{id}/deliveries', { params: { ...id(endpointId), query: { limit: 25, ...query, cursor: cursor ?? undefined } } })),
  getWebhookDelivery: (deliveryId: string) => answer(client.GET('/v1/webhook-deliveries/{id}', { params: id(deliveryId) })),
  redeliverWebhook: (deliveryId: string) => answer(client.POST('/v1/webhook-deliveries/{id}/actions/redeliver', { params: id(deliveryId) })),

  listTokens: (cursor?: string | null) => answer(client.GET('/v1/tokens', { params: { query: { limit: 50, cursor: cursor ?? undefined } } })),
  createToken: (body: RequestBody<'/v1/tokens', 'post'>) => answer(client.POST('/v1/tokens', { body })),
  revokeToken: (tokenId: string) => answer(client.DELETE('/v1/tokens/{id}', { params: id(tokenId) })),

  listStaffUsers: (cursor?: string | null) => answer(client.GET('/v1/users', { params: { query: { kind: 'staff', limit: 50, cursor: cursor ?? undefined } } })),
  createUser: (body: RequestBody<'/v1/users', 'post'>) => answer(client.POST('/v1/users', { body })),
  updateUser: (userId: string, body: RequestBody<'/v1/users/{id}', 'patch'>) => answer(client.PATCH('/v1/users/{id}', { params: id(userId), body })),
  sendPasswordLink: (userId: string) => answer(client.POST('/v1/users/{id}/actions/send-password-link', { params: id(userId), body: {} })),
  /** A set-password link returned once to the caller instead of mailed (no SMTP, or a lost mail); audited. */
  showPasswordLink: (userId: string) =>
    answer(client.POST('/v1/users/{id}/actions/send-password-link', { params: id(userId), body: { deliver: 'show' } })).then(
      // Asked to show it, the server answers the link (the schema allows the mailed answer too).
      (link) => link as Extract<typeof link, { url: string }>,
    ),
};
