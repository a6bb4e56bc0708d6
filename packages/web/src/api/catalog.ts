import { answer, client, type Answer, type ItemOf, type QueryOf, type RequestBody } from './api.js';
import { adminApi } from './admin.js';

/**
 * The console's calls for editing the catalog and customers, the customer's users and orders, and the
 * audit log. The shapes are the API's (products, policies, customers, users, orders and events schemas).
 */

export type ProductRecord = Answer<'/v1/products/{id}', 'get'>;
export type ProductInput = RequestBody<'/v1/products/{id}', 'patch'>;

export const EXPIRY_ENDS = ['access', 'updates'] as const;
export const ALIGNMENTS = ['purchase', 'activation', 'calendar-year', 'fiscal-year'] as const;
export const FIRST_TERMS = ['shorten', 'prorate'] as const;
export const RENEWERS = ['keyhaven', 'billing'] as const;
export const METER_PERIODS = ['never', 'monthly', 'yearly'] as const;

export type PolicyRecord = Answer<'/v1/policies/{id}', 'get'>;
export type PolicyInput = RequestBody<'/v1/policies/{id}', 'patch'>;
export type Meter = PolicyRecord['meters'][number];
export type ActivationLimits = NonNullable<PolicyRecord['activationLimits']>;
export type Overdraft = NonNullable<PolicyRecord['overdraft']>;

export type CustomerRecord = Answer<'/v1/customers/{id}', 'get'>;
export type CustomerInput = RequestBody<'/v1/customers/{id}', 'patch'>;
export type Contact = CustomerRecord['contacts'][number];

export const CUSTOMER_ROLES = ['customer-admin', 'customer-member'] as const;
export type CustomerRole = (typeof CUSTOMER_ROLES)[number];
export type UserRecord = ItemOf<'/v1/users'>;
export type OrderRecord = ItemOf<'/v1/orders'>;
export type EventQuery = Omit<QueryOf<'/v1/events'>, 'cursor'> & { cursor?: string | null };

const id = (value: string) => ({ path: { id: value } });

export const catalogApi = {
  getProduct: (productId: string) => answer(client.GET('/v1/products/{id}', { params: id(productId) })),
  updateProduct: (productId: string, body: ProductInput) => answer(client.PATCH('/v1/products/{id}', { params: id(productId), body })),
  deleteProduct: (productId: string) => answer(client.DELETE('/v1/products/{id}', { params: id(productId) })),

  getPolicy: (policyId: string) => answer(client.GET('/v1/policies/{id}', { params: id(policyId) })),
  createPolicy: (body: RequestBody<'/v1/policies', 'post'>) => answer(client.POST('/v1/policies', { body })),
  updatePolicy: (policyId: string, body: PolicyInput) => answer(client.PATCH('/v1/policies/{id}', { params: id(policyId), body })),
  deletePolicy: (policyId: string) => answer(client.DELETE('/v1/policies/{id}', { params: id(policyId) })),
  listPolicies: (productId: string) => answer(client.GET('/v1/policies', { params: { query: { productId, limit: 100 } } })).then((page) => page.data),

  getCustomer: (customerId: string) => answer(client.GET('/v1/customers/{id}', { params: id(customerId) })),
  updateCustomer: (customerId: string, body: CustomerInput) => answer(client.PATCH('/v1/customers/{id}', { params: id(customerId), body })),
  deleteCustomer: (customerId: string) => answer(client.DELETE('/v1/customers/{id}', { params: id(customerId) })),

  listUsers: ({ cursor, ...query }: { customerId?: string; kind?: 'staff' | 'customer'; cursor?: string | null }) =>
    answer(client.GET('/v1/users', { params: { query: { limit: 100, ...query, cursor: cursor ?? undefined } } })),
  createUser: (body: RequestBody<'/v1/users', 'post'>) => answer(client.POST('/v1/users', { body })),
  updateUser: (userId: string, body: RequestBody<'/v1/users/{id}', 'patch'>) => answer(client.PATCH('/v1/users/{id}', { params: id(userId), body })),
  /** Mails the user a fresh set-password link (valid 7 days); earlier set links stop working. */
  sendPasswordLink: adminApi.sendPasswordLink,
  /** A set-password link returned once to the caller instead of mailed (no SMTP, or a lost mail); audited. */
  showPasswordLink: adminApi.showPasswordLink,

  listOrders: (customerId: string) => answer(client.GET('/v1/orders', { params: { query: { customerId, limit: 20 } } })),

  listEvents: ({ cursor, ...query }: EventQuery) => answer(client.GET('/v1/events', { params: { query: { limit: 50, ...query, cursor: cursor ?? undefined } } })),
  /** The documented audit actions (owner and admin may read them); the events page offers them as suggestions. */
  eventTypes: () => answer(client.GET('/v1/webhook-event-types')).then((types) => types.data),
};
