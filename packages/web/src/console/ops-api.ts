import { ApiError, errorOf, getToken, request, type AuditEvent, type License, type Page } from '../api.js';

/** Client calls and types of the console's operations pages: orders, the renewals report, jobs. */

export type OrderSource = 'api' | 'manual' | 'stripe';
export const ORDER_SOURCES: readonly OrderSource[] = ['api', 'manual', 'stripe'];
/** How people name where an order came from ("api" is a shop or ERP calling the API). */
export const SOURCE_LABELS: Record<OrderSource, string> = { api: 'Shop / API', manual: 'Manual', stripe: 'Stripe' };

export interface OrderItem {
  policyId: string;
  productId: string;
  licenseId: string;
  quantity: number;
  name: string | null;
  /** Minor units (cents). */
  price: number | null;
  currency: string | null;
}
export interface OrderBilling {
  invoiceUrl: string | null;
  paymentStatus: string | null;
  purchaseMethod: string | null;
  reference: string | null;
}
export interface Order {
  id: string;
  source: OrderSource;
  externalId: string;
  customerId: string;
  userId: string | null;
  email: string;
  customerName: string | null;
  company: string | null;
  items: OrderItem[];
  total: number | null;
  currency: string | null;
  billing: OrderBilling;
  subscriptionRef: string | null;
  mailIds: string[];
  createdAt: string;
}
export interface OrderResult extends Order {
  licenses: (License & { key?: string })[];
}
export interface CreateOrderInput {
  externalId: string;
  source: 'manual';
  customer: { email: string; name?: string | null; company?: string | null };
  items: { policyId: string; quantity?: number; name?: string | null; price?: number | null; currency?: string | null }[];
  billing?: Partial<OrderBilling>;
  sendEmail?: boolean;
}
export interface OrderFilter {
  customerId?: string;
  source?: OrderSource;
  email?: string;
  externalId?: string;
}

/** A confirmation mail as the outbox shows it (the fields the order page needs). */
export interface OutboxMail {
  id: string;
  template: string;
  to: string[];
  subject: string;
  status: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export type RenewalSource = 'auto' | 'manual' | 'billing';
export const RENEWAL_SOURCES: readonly RenewalSource[] = ['auto', 'manual', 'billing'];
export interface Renewal {
  id: string;
  licenseId: string;
  customerId: string | null;
  productId: string;
  fromExpiry: string;
  toExpiry: string;
  price: number | null;
  currency: string | null;
  source: RenewalSource;
  reference: string | null;
  actor: { type: string; id: string | null };
  at: string;
}
export interface RenewalFilter {
  from?: string;
  to?: string;
  productId?: string;
  customerId?: string;
  source?: RenewalSource;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';
export const JOB_STATUSES: readonly JobStatus[] = ['failed', 'queued', 'running', 'done'];
export interface Job {
  id: string;
  type: string;
  status: JobStatus;
  runAt: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}
export interface JobSchedule {
  name: string;
  cron: string;
  jobType: string;
  nextRunAt: string;
  lastRunAt: string | null;
}

/** A text answer of a GET (the renewals CSV), with the bearer token; errors as `request` makes them. */
async function getText(path: string, query: Record<string, string | undefined>): Promise<{ text: string; truncated: boolean }> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  const token = getToken();
  let response: Response;
  try {
    response = await fetch(params.size > 0 ? `${path}?${params.toString()}` : path, {
      headers: { accept: 'text/csv, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached; check your connection and try again');
  }
  if (!response.ok) throw await errorOf(response);
  return { text: await response.text(), truncated: response.headers.get('keyhaven-truncated') === 'true' };
}

/** Saves text as a file through a temporary object URL. */
export function saveFile(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const orderPath = (id: string) => `/v1/orders/${encodeURIComponent(id)}`;
const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;

export const opsApi = {
  listOrders: (filter: OrderFilter, cursor: string | null) => request<Page<Order>>('GET', '/v1/orders', { query: { ...filter, limit: 50, cursor } }),
  getOrder: (id: string) => request<Order>('GET', orderPath(id)),
  createOrder: (body: CreateOrderInput) => request<OrderResult>('POST', '/v1/orders', { body }),
  orderEvents: (id: string) => request<Page<AuditEvent>>('GET', '/v1/events', { query: { targetType: 'order', targetId: id, limit: 50 } }),
  getMail: (id: string) => request<OutboxMail>('GET', `/v1/outbox/${encodeURIComponent(id)}`),

  listRenewals: (filter: RenewalFilter, cursor: string | null, limit = 100) => request<Page<Renewal>>('GET', '/v1/renewals', { query: { ...filter, limit, cursor } }),
  exportRenewals: (filter: RenewalFilter) => getText('/v1/renewals/export', { ...filter }),

  listJobs: (filter: { status?: JobStatus; type?: string }, cursor: string | null) => request<Page<Job>>('GET', '/v1/jobs', { query: { ...filter, limit: 50, cursor } }),
  retryJob: (id: string) => request<Job>('POST', `${jobPath(id)}/retry`),
  listSchedules: () => request<{ data: JobSchedule[] }>('GET', '/v1/job-schedules').then((answer) => answer.data),
};

/** An amount in minor units as money, e.g. 9900 EUR → "€99.00"; an unknown currency code is shown after the number. */
export function formatMoney(minor: number | null, currency: string | null): string {
  if (minor === null) return '—';
  if (!currency) return (minor / 100).toFixed(2);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}
