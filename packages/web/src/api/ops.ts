import { answer, client, everyOf, type Answer, type ItemOf, type RequestBody } from './api.js';

/** Client calls and types of the console's operations pages: orders, the renewals report, jobs. */

export type Order = Answer<'/v1/orders/{id}', 'get'>;
export type OrderSource = Order['source'];
export const ORDER_SOURCES = everyOf<OrderSource>()(['api', 'manual', 'stripe']);
/** How people name where an order came from ("api" is a shop or ERP calling the API). */
export const SOURCE_LABELS: Record<OrderSource, string> = { api: 'Shop / API', manual: 'Manual', stripe: 'Stripe' };

export type OrderItem = Order['items'][number];
export type OrderBilling = Order['billing'];
export type OrderResult = Answer<'/v1/orders', 'post', 201>;
export type CreateOrderInput = RequestBody<'/v1/orders', 'post'>;
export interface OrderFilter {
  customerId?: string;
  source?: OrderSource;
  email?: string;
  externalId?: string;
  /** Only orders of this partner's customers. */
  partnerId?: string;
}

/** A confirmation mail as the outbox shows it (the fields the order page needs). */
export type OutboxMail = Answer<'/v1/outbox/{id}', 'get'>;

export type Renewal = ItemOf<'/v1/renewals'>;
export type RenewalSource = Renewal['source'];
export const RENEWAL_SOURCES = everyOf<RenewalSource>()(['auto', 'manual', 'billing']);
export interface RenewalFilter {
  from?: string;
  to?: string;
  productId?: string;
  customerId?: string;
  source?: RenewalSource;
  /** Only renewals of this partner's customers. */
  partnerId?: string;
}

export type Job = ItemOf<'/v1/jobs'>;
export type JobStatus = Job['status'];
export const JOB_STATUSES = everyOf<JobStatus>()(['failed', 'queued', 'running', 'done']);
export type JobSchedule = ItemOf<'/v1/job-schedules'>;

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

const id = (value: string) => ({ path: { id: value } });

export const opsApi = {
  listOrders: (filter: OrderFilter, cursor: string | null) => answer(client.GET('/v1/orders', { params: { query: { ...filter, limit: 50, cursor: cursor ?? undefined } } })),
  getOrder: (orderId: string) => answer(client.GET('/v1/orders/{id}', { params: id(orderId) })),
  createOrder: (body: CreateOrderInput) => answer(client.POST('/v1/orders', { body })),
  orderEvents: (orderId: string) => answer(client.GET('/v1/events', { params: { query: { targetType: 'order', targetId: orderId, limit: 50 } } })),
  getMail: (mailId: string) => answer(client.GET('/v1/outbox/{id}', { params: id(mailId) })),

  listRenewals: (filter: RenewalFilter, cursor: string | null, limit = 100) =>
    answer(client.GET('/v1/renewals', { params: { query: { ...filter, limit, cursor: cursor ?? undefined } } })),
  /** The renewals as CSV; `truncated` when the server cut the export at its row limit. */
  exportRenewals: async (filter: RenewalFilter) => {
    const { data, response } = await client.GET('/v1/renewals/export', { params: { query: filter }, parseAs: 'text', headers: { accept: 'text/csv, application/json' } });
    return { text: data as string, truncated: response.headers.get('keyhaven-truncated') === 'true' };
  },

  listJobs: (filter: { status?: JobStatus; type?: string }, cursor: string | null) =>
    answer(client.GET('/v1/jobs', { params: { query: { ...filter, limit: 50, cursor: cursor ?? undefined } } })),
  retryJob: (jobId: string) => answer(client.POST('/v1/jobs/{id}/retry', { params: id(jobId) })),
  listSchedules: () => answer(client.GET('/v1/job-schedules')).then((schedules) => schedules.data),
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
