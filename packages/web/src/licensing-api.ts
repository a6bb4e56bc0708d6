/**
 * Client calls for the license actions beyond the first screens: trials, upgrades, subscriptions, the
 * reminders a license was sent and the named users of per-user licenses. Shared by the console and the
 * portal (the portal uses the subscription calls; the API decides what each role may do).
 */
import { request, type License, type Page, type Product, type Usage } from './api.js';

const licensePath = (id: string) => `/v1/licenses/${encodeURIComponent(id)}`;

/** A subscription's terms and state as the API derives them (`renewsAt`, `cancellationDeadline`). */
export interface Subscription {
  termMonths: number | null;
  termDays: number | null;
  cancellationNoticeDays: number;
  price: number | null;
  currency: string | null;
  autoRenew: boolean;
  renewedBy: 'keyhaven' | 'billing';
  cancelledAt: string | null;
  termStartsAt: string | null;
  /** When it renews next; null when it will not. */
  renewsAt: string | null;
  /** Cancellations of the current term are accepted until then (null: until term end). */
  cancellationDeadline: string | null;
}

/** A license with the parts the license pages act on. */
export interface FullLicense extends License {
  features: string[];
  maxUsers: number | null;
  notes: string | null;
  metadata: Record<string, unknown>;
  meters: Array<{ feature: string; limit: number | null; period: string }>;
  subscription: Subscription | null;
}

/** A product with its trial lengths: `trialDurations` are the preset buttons, `trialPreset` the default. */
export interface TrialProduct extends Product {
  trialDurations: number[];
  trialPreset: number;
  trialPolicyId: string | null;
}

export interface Trial {
  id: string;
  productId: string;
  licenseId: string;
  customerId: string | null;
  email: string | null;
  source: 'signup' | 'staff';
  /** Days granted so far (first term plus extensions). */
  days: number;
  machineBound: boolean;
  convertedAt: string | null;
  convertedPolicyId: string | null;
  createdAt: string;
}

export interface CreateTrialInput {
  productId: string;
  customerId?: string;
  email?: string;
  name?: string;
  days?: number;
  sendEmail?: boolean;
}

/** An expiry reminder (offset days before expiry; 0: the expired notice) that was sent. */
export interface Reminder {
  expiresAt: string;
  offset: number;
  mailId: string | null;
  sentAt: string;
}

export interface LicenseUser {
  id: string;
  licenseId: string;
  identifier: string;
  name: string | null;
  createdAt: string;
}

/** The fields the console's edit form changes (`updateLicense`); null clears expiry, seats or notes. */
export interface LicenseEdit {
  name?: string;
  notes?: string | null;
  expiresAt?: string | null;
  maxMachines?: number | null;
  metadata?: Record<string, unknown>;
}

/** The server's limit for staff notes on a license (the API refuses longer notes with a 400 naming it). */
export const NOTES_MAX_LENGTH = 10_000;

export const licensingApi = {
  getLicense: (id: string) => request<FullLicense>('GET', licensePath(id)),
  updateLicense: (id: string, body: LicenseEdit) => request<FullLicense>('PATCH', licensePath(id), { body }),
  /** Mails the key to the license's customer (422 NO_RECIPIENT without one). */
  sendKey: (id: string) => request<{ mailId: string; to: string }>('POST', `${licensePath(id)}/actions/send-key`),
  listTrialProducts: async () => {
    const products: TrialProduct[] = [];
    let cursor: string | null = null;
    do {
      const answer: Page<TrialProduct> = await request<Page<TrialProduct>>('GET', '/v1/products', { query: { limit: 100, cursor } });
      products.push(...answer.data);
      cursor = answer.nextCursor;
    } while (cursor && products.length < 1000);
    return products;
  },
  getTrialProduct: (id: string) => request<TrialProduct>('GET', `/v1/products/${encodeURIComponent(id)}`),

  listTrials: (query: { productId?: string; converted?: 'true' | 'false'; limit?: number; cursor?: string | null }) =>
    request<Page<Trial>>('GET', '/v1/trials', { query: { limit: 25, ...query } }),
  createTrial: (body: CreateTrialInput) => request<FullLicense & { key: string; trial: Trial }>('POST', '/v1/licenses/trials', { body }),
  extendTrial: (id: string, days: number) => request<FullLicense>('POST', `${licensePath(id)}/actions/extend-trial`, { body: { days } }),
  convertTrial: (id: string, policyId: string, keepExpiry: boolean) =>
    request<FullLicense>('POST', `${licensePath(id)}/actions/convert-trial`, { body: { policyId, keepExpiry } }),

  addFeatures: (id: string, features: string[]) => request<FullLicense>('POST', `${licensePath(id)}/actions/add-features`, { body: { features } }),
  removeFeatures: (id: string, features: string[]) => request<FullLicense>('POST', `${licensePath(id)}/actions/remove-features`, { body: { features } }),
  addSeats: (id: string, seats: number) => request<FullLicense>('POST', `${licensePath(id)}/actions/add-seats`, { body: { seats } }),
  changePolicy: (id: string, policyId: string, keepExpiry: boolean) =>
    request<FullLicense>('POST', `${licensePath(id)}/actions/change-policy`, { body: { policyId, keepExpiry } }),

  cancelSubscription: (id: string, override = false) =>
    request<FullLicense>('POST', `${licensePath(id)}/actions/cancel-subscription`, { body: override ? { override: true } : {} }),
  resumeSubscription: (id: string) => request<FullLicense>('POST', `${licensePath(id)}/actions/resume-subscription`),
  renewSubscription: (id: string) => request<{ license: FullLicense; created: boolean }>('POST', `${licensePath(id)}/actions/renew-subscription`, { body: {} }),

  listReminders: (id: string) => request<{ data: Reminder[] }>('GET', `${licensePath(id)}/reminders`).then((answer) => answer.data),
  listUsage: (id: string) => request<{ data: Usage[] }>('GET', `${licensePath(id)}/usage`).then((answer) => answer.data),
  listUsers: (id: string) => request<{ data: LicenseUser[] }>('GET', `${licensePath(id)}/users`).then((answer) => answer.data),
  addUser: (id: string, body: { identifier: string; name?: string }) => request<LicenseUser>('POST', `${licensePath(id)}/users`, { body }),
  removeUser: (id: string, userId: string) => request<void>('DELETE', `${licensePath(id)}/users/${encodeURIComponent(userId)}`),
};
