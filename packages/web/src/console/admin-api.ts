import { request, type Page, type Role } from '../api.js';

/** The console's integration and administration calls: webhooks, API tokens and staff users. */

export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sending', 'delivered', 'failed'];

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  lastSuccessAt: string | null;
  secretHint: string;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}
export type WebhookEndpointWithSecret = WebhookEndpoint & { secret: string };
export interface WebhookEndpointInput {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}
export interface WebhookEventType {
  type: string;
  description: string;
}
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  kind: 'event' | 'test' | 'redelivery';
  redeliveryOf: string | null;
  status: DeliveryStatus;
  attemptCount: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface WebhookAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  success: boolean;
}
export interface WebhookDeliveryDetail extends WebhookDelivery {
  payload: unknown;
  attempts: WebhookAttempt[];
}

export interface ApiToken {
  id: string;
  name: string;
  hint: string;
  role: Role;
  customerId: string | null;
  createdBy: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/** A user as the users API answers it (more than the session's `User`). */
export interface ManagedUser {
  id: string;
  email: string;
  name: string | null;
  kind: 'staff' | 'customer';
  role: Role;
  customerId: string | null;
  disabled: boolean;
  hasPassword: boolean;
  lastSignInAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const endpointPath = (id: string) => `/v1/webhook-endpoints/${encodeURIComponent(id)}`;
const deliveryPath = (id: string) => `/v1/webhook-deliveries/${encodeURIComponent(id)}`;
const userPath = (id: string) => `/v1/users/${encodeURIComponent(id)}`;

export const adminApi = {
  webhookEventTypes: () => request<{ data: WebhookEventType[] }>('GET', '/v1/webhook-event-types').then((answer) => answer.data),
  listWebhookEndpoints: (cursor?: string | null) => request<Page<WebhookEndpoint>>('GET', '/v1/webhook-endpoints', { query: { limit: 50, cursor } }),
  getWebhookEndpoint: (id: string) => request<WebhookEndpoint>('GET', endpointPath(id)),
  createWebhookEndpoint: (body: WebhookEndpointInput & { url: string }) => request<WebhookEndpointWithSecret>('POST', '/v1/webhook-endpoints', { body }),
  updateWebhookEndpoint: (id: string, body: WebhookEndpointInput) => request<WebhookEndpoint>('PATCH', endpointPath(id), { body }),
  deleteWebhookEndpoint: (id: string) => request<void>('DELETE', endpointPath(id)),
  rotateWebhookSecret: (id: string, overlapHours: number) => request<WebhookEndpointWithSecret>('POST', `${endpointPath(id)}/actions/rotate-secret`, { body: { overlapHours } }),
  sendTestWebhook: (id: string) => request<WebhookDelivery>('POST', `${endpointPath(id)}/actions/test`, { body: {} }),
  listWebhookDeliveries: (id: string, query: { status?: DeliveryStatus; eventType?: string; limit?: number; cursor?: string | null }) =>
    request<Page<WebhookDelivery>>('GET', `${endpointPath(id)}/deliveries`, { query: { limit: 25, ...query } }),
  getWebhookDelivery: (id: string) => request<WebhookDeliveryDetail>('GET', deliveryPath(id)),
  redeliverWebhook: (id: string) => request<WebhookDelivery>('POST', `${deliveryPath(id)}/actions/redeliver`, { body: {} }),

  listTokens: (cursor?: string | null) => request<Page<ApiToken>>('GET', '/v1/tokens', { query: { limit: 50, cursor } }),
  createToken: (body: { name: string; role: Role; customerId?: string; expiresInDays?: number }) => request<ApiToken & { token: string }>('POST', '/v1/tokens', { body }),
  revokeToken: (id: string) => request<void>('DELETE', `/v1/tokens/${encodeURIComponent(id)}`),

  listStaffUsers: (cursor?: string | null) => request<Page<ManagedUser>>('GET', '/v1/users', { query: { kind: 'staff', limit: 50, cursor } }),
  createUser: (body: { email: string; name?: string | null; role: Role }) => request<ManagedUser>('POST', '/v1/users', { body }),
  updateUser: (id: string, body: { name?: string | null; role?: Role; disabled?: boolean }) => request<ManagedUser>('PATCH', userPath(id), { body }),
  sendPasswordLink: (id: string) => request<{ expiresAt: string }>('POST', `${userPath(id)}/actions/send-password-link`, { body: {} }),
  /** A set-password link returned once to the caller instead of mailed (no SMTP, or a lost mail); audited. */
  showPasswordLink: (id: string) => request<{ expiresAt: string; url: string }>('POST', `${userPath(id)}/actions/send-password-link`, { body: { deliver: 'show' } }),
};
