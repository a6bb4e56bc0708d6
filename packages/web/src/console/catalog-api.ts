import { request, type AuditEvent, type Page, type PolicyKind, type Role } from '../api.js';

/**
 * The console's calls for editing the catalog and customers, the customer's users and orders, and the
 * audit log. The shapes are the API's (products, policies, customers, users, orders and events schemas).
 */

export interface ProductRecord {
  id: string;
  code: string;
  name: string;
  description: string | null;
  url: string | null;
  trialDurations: number[];
  trialPreset: number;
  trialPolicyId: string | null;
  publicTrials: boolean;
  /** A custom product is made for these customers only; empty: public. */
  customerIds: string[];
  createdAt: string;
  updatedAt: string;
}
export type ProductInput = Partial<Pick<ProductRecord, 'name' | 'code' | 'description' | 'url' | 'trialDurations' | 'trialPreset' | 'trialPolicyId' | 'publicTrials' | 'customerIds'>>;

export const EXPIRY_ENDS = ['access', 'updates'] as const;
export const ALIGNMENTS = ['purchase', 'activation', 'calendar-year', 'fiscal-year'] as const;
export const FIRST_TERMS = ['shorten', 'prorate'] as const;
export const RENEWERS = ['keyhaven', 'billing'] as const;
export const METER_PERIODS = ['never', 'monthly', 'yearly'] as const;

export interface Meter {
  feature: string;
  limit: number | null;
  period: (typeof METER_PERIODS)[number];
}
export interface ActivationLimits {
  activations: number | null;
  deactivations: number | null;
  periodDays: number;
}
export type Overdraft = { seats: number } | { factor: number };

export interface PolicyRecord {
  id: string;
  productId: string;
  name: string;
  kind: PolicyKind;
  durationDays: number | null;
  termMonths: number | null;
  maxMachines: number | null;
  maxUsers: number | null;
  floating: boolean;
  heartbeatSeconds: number | null;
  graceDays: number;
  features: string[];
  enforceDomains: boolean;
  meters: Meter[];
  countries: string[];
  activationLimits: ActivationLimits | null;
  overdraft: Overdraft | null;
  /** The longest offline license-file lifetime, in days: a file holds its machine's seat that long. */
  offlineMaxDays: number;
  expiryEnds: (typeof EXPIRY_ENDS)[number];
  autoRenew: boolean;
  renewedBy: (typeof RENEWERS)[number];
  cancellationNoticeDays: number;
  alignment: (typeof ALIGNMENTS)[number];
  fiscalYearStartMonth: number | null;
  firstTerm: (typeof FIRST_TERMS)[number];
  price: number | null;
  currency: string | null;
  createdAt: string;
  updatedAt: string;
}
export type PolicyInput = Partial<Omit<PolicyRecord, 'id' | 'productId' | 'createdAt' | 'updatedAt'>>;

export interface Contact {
  name: string;
  email?: string;
  phone?: string;
  role?: string;
}
export interface CustomerRecord {
  id: string;
  name: string;
  email: string;
  contacts: Contact[];
  notes: string | null;
  createdAt: string;
  updatedAt: string;
}
export type CustomerInput = Partial<Pick<CustomerRecord, 'name' | 'email' | 'contacts' | 'notes'>>;

export const CUSTOMER_ROLES = ['customer-admin', 'customer-member'] as const;
export type CustomerRole = (typeof CUSTOMER_ROLES)[number];
export interface UserRecord {
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
}

export interface OrderRecord {
  id: string;
  source: string;
  externalId: string;
  customerId: string;
  email: string;
  items: unknown[];
  total: number | null;
  currency: string | null;
  createdAt: string;
}

export interface EventQuery {
  action?: string;
  targetType?: string;
  targetId?: string;
  actorId?: string;
  customerId?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string | null;
}

const path = (collection: string, id: string) => `/v1/${collection}/${encodeURIComponent(id)}`;

export const catalogApi = {
  getProduct: (id: string) => request<ProductRecord>('GET', path('products', id)),
  updateProduct: (id: string, body: ProductInput) => request<ProductRecord>('PATCH', path('products', id), { body }),
  deleteProduct: (id: string) => request<void>('DELETE', path('products', id)),

  getPolicy: (id: string) => request<PolicyRecord>('GET', path('policies', id)),
  createPolicy: (body: PolicyInput & { productId: string; name: string; kind: PolicyKind }) => request<PolicyRecord>('POST', '/v1/policies', { body }),
  updatePolicy: (id: string, body: PolicyInput) => request<PolicyRecord>('PATCH', path('policies', id), { body }),
  deletePolicy: (id: string) => request<void>('DELETE', path('policies', id)),
  listPolicies: (productId: string) => request<Page<PolicyRecord>>('GET', '/v1/policies', { query: { productId, limit: 100 } }).then((page) => page.data),

  getCustomer: (id: string) => request<CustomerRecord>('GET', path('customers', id)),
  updateCustomer: (id: string, body: CustomerInput) => request<CustomerRecord>('PATCH', path('customers', id), { body }),
  deleteCustomer: (id: string) => request<void>('DELETE', path('customers', id)),

  listUsers: (query: { customerId?: string; kind?: 'staff' | 'customer'; cursor?: string | null }) => request<Page<UserRecord>>('GET', '/v1/users', { query: { limit: 100, ...query } }),
  createUser: (body: { email: string; name?: string | null; role: Role; customerId?: string }) => request<UserRecord>('POST', '/v1/users', { body }),
  updateUser: (id: string, body: { name?: string | null; role?: Role; disabled?: boolean }) => request<UserRecord>('PATCH', path('users', id), { body }),
  /** Mails the user a fresh set-password link (valid 7 days); earlier set links stop working. */
  sendPasswordLink: (id: string) => request<{ expiresAt: string }>('POST', `${path('users', id)}/actions/send-password-link`, { body: {} }),
  /** A set-password link returned once to the caller instead of mailed (no SMTP, or a lost mail); audited. */
  showPasswordLink: (id: string) => request<{ expiresAt: string; url: string }>('POST', `${path('users', id)}/actions/send-password-link`, { body: { deliver: 'show' } }),

  listOrders: (customerId: string) => request<Page<OrderRecord>>('GET', '/v1/orders', { query: { customerId, limit: 20 } }),

  listEvents: (query: EventQuery) => request<Page<AuditEvent>>('GET', '/v1/events', { query: { limit: 50, ...query } }),
  /** The documented audit actions (owner and admin may read them); the events page offers them as suggestions. */
  eventTypes: () => request<{ data: Array<{ type: string; description: string }> }>('GET', '/v1/webhook-event-types').then((answer) => answer.data),
};
