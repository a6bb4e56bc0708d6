/**
 * Client calls for the license actions beyond the first screens: trials, upgrades, subscriptions, the
 * reminders a license was sent and the named users of per-user licenses. Shared by the console and the
 * portal (the portal uses the subscription calls; the API decides what each role may do).
 */
import { all, answer, client, PAGE, type Answer, type ItemOf, type Product, type RequestBody } from './api.js';

/** A license with the parts the license pages act on. */
export type FullLicense = Answer<'/v1/licenses/{id}', 'get'>;
/** A subscription's terms and state as the API derives them (`renewsAt`, `cancellationDeadline`). */
export type Subscription = NonNullable<FullLicense['subscription']>;
/** A product with its trial lengths: `trialDurations` are the preset buttons, `trialPreset` the default. */
export type TrialProduct = Product;
export type Trial = ItemOf<'/v1/trials'>;
export type CreateTrialInput = RequestBody<'/v1/licenses/trials', 'post'>;
/** An expiry reminder (offset days before expiry; 0: the expired notice) that was sent. */
export type Reminder = ItemOf<'/v1/licenses/{id}/reminders'>;
export type LicenseUser = ItemOf<'/v1/licenses/{id}/users'>;
/** The fields the console's edit form changes (`updateLicense`); null clears expiry, seats or notes. */
export type LicenseEdit = RequestBody<'/v1/licenses/{id}', 'patch'>;

const id = (value: string) => ({ path: { id: value } });

/** The server's limit for staff notes on a license (the API refuses longer notes with a 400 naming it). */
export const NOTES_MAX_LENGTH = 10_000;

export const licensingApi = {
  getLicense: (licenseId: string) => answer(client.GET('/v1/licenses/{id}', { params: id(licenseId) })),
  updateLicense: (licenseId: string, body: LicenseEdit) => answer(client.PATCH('/v1/licenses/{id}', { params: id(licenseId), body })),
  /** Mails the key to the license's customer (422 NO_RECIPIENT without one). */
  sendKey: (licenseId: string) => answer(client.POST('/v1/licenses/{id}/actions/send-key', { params: id(licenseId) })),
  listTrialProducts: () => all((cursor) => client.GET('/v1/products', { params: { query: { limit: PAGE, cursor } } })),
  getTrialProduct: (productId: string) => answer(client.GET('/v1/products/{id}', { params: id(productId) })),

  listTrials: ({ cursor, converted, ...query }: { productId?: string; converted?: 'true' | 'false'; limit?: number; cursor?: string | null }) =>
    answer(client.GET('/v1/trials', { params: { query: { limit: 25, ...query, converted: converted && converted === 'true', cursor: cursor ?? undefined } } })),
  createTrial: (body: CreateTrialInput) => answer(client.POST('/v1/licenses/trials', { body })),
  extendTrial: (licenseId: string, days: number) => answer(client.POST('/v1/licenses/{id}/actions/extend-trial', { params: id(licenseId), body: { days } })),
  convertTrial: (licenseId: string, policyId: string, keepExpiry: boolean) =>
    answer(client.POST('/v1/licenses/{id}/actions/convert-trial', { params: id(licenseId), body: { policyId, keepExpiry } })),

  addFeatures: (licenseId: string, features: string[]) => answer(client.POST('/v1/licenses/{id}/actions/add-features', { params: id(licenseId), body: { features } })),
  removeFeatures: (licenseId: string, features: string[]) =>
    answer(client.POST('/v1/licenses/{id}/actions/remove-features', { params: id(licenseId), body: { features } })),
  addSeats: (licenseId: string, seats: number) => answer(client.POST('/v1/licenses/{id}/actions/add-seats', { params: id(licenseId), body: { seats } })),
  changePolicy: (licenseId: string, policyId: string, keepExpiry: boolean) =>
    answer(client.POST('/v1/licenses/{id}/actions/change-policy', { params: id(licenseId), body: { policyId, keepExpiry } })),

  cancelSubscription: (licenseId: string, override = false) =>
    answer(client.POST('/v1/licenses/{id}/actions/cancel-subscription', { params: id(licenseId), body: override ? { override: true } : {} })),
  resumeSubscription: (licenseId: string) => answer(client.POST('/v1/licenses/{id}/actions/resume-subscription', { params: id(licenseId) })),
  renewSubscription: (licenseId: string) => answer(client.POST('/v1/licenses/{id}/actions/renew-subscription', { params: id(licenseId), body: {} })),

  listReminders: (licenseId: string) => answer(client.GET('/v1/licenses/{id}/reminders', { params: id(licenseId) })).then((reminders) => reminders.data),
  listUsage: (licenseId: string) => answer(client.GET('/v1/licenses/{id}/usage', { params: id(licenseId) })).then((usage) => usage.data),
  listUsers: (licenseId: string) => answer(client.GET('/v1/licenses/{id}/users', { params: id(licenseId) })).then((users) => users.data),
  addUser: (licenseId: string, body: RequestBody<'/v1/licenses/{id}/users', 'post'>) => answer(client.POST('/v1/licenses/{id}/users', { params: id(licenseId), body })),
  removeUser: (licenseId: string, userId: string) =>
    answer(client.DELETE('/v1/licenses/{id}/users/{userId}', { params: { path: { id: licenseId, userId } } })),
};
