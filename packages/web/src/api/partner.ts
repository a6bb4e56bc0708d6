import { all, answer, client, PAGE, type Answer, type ItemOf, type QueryOf, type RequestBody } from './api.js';

/**
 * The partner face's calls: its own partner (grants), the product groups they name, its contracts, its users
 * and its report. The server scopes every one of them to the signed-in partner (another partner's is 404).
 */

export type Partner = Answer<'/v1/partners/{id}', 'get'>;
export type PartnerRight = Partner['grants'][number]['rights'][number];
export type ProductGroup = ItemOf<'/v1/product-groups'>;
export type Contract = ItemOf<'/v1/contracts'>;
export type PartnerUser = ItemOf<'/v1/users'>;
export type ActiveSubscriptionsReport = Answer<'/v1/reports/partners/active-subscriptions', 'get'>;
export type ActivityReport = Answer<'/v1/reports/partners/activity', 'get'>;

const id = (value: string) => ({ path: { id: value } });
const csv = { parseAs: 'text', headers: { accept: 'text/csv, application/json' } } as const;

export const partnerApi = {
  getPartner: (partnerId: string) => answer(client.GET('/v1/partners/{id}', { params: id(partnerId) })),
  listProductGroups: () => answer(client.GET('/v1/product-groups')).then((groups) => groups.data),
  listContracts: () => all((cursor) => client.GET('/v1/contracts', { params: { query: { limit: PAGE, cursor } } })),

  /** Trial to paid, optionally drawn from a contract (422 QUOTA_EXHAUSTED when it has nothing left). */
  convertTrial: (licenseId: string, body: RequestBody<'/v1/licenses/{id}/actions/convert-trial', 'post'>) =>
    answer(client.POST('/v1/licenses/{id}/actions/convert-trial', { params: id(licenseId), body })),

  listUsers: () => all((cursor) => client.GET('/v1/users', { params: { query: { kind: 'partner', limit: PAGE, cursor } } })),
  createUser: (body: RequestBody<'/v1/users', 'post'>) => answer(client.POST('/v1/users', { body })),
  sendPasswordLink: (userId: string) => answer(client.POST('/v1/users/{id}/actions/send-password-link', { params: id(userId), body: {} })),

  activeSubscriptions: (query: QueryOf<'/v1/reports/partners/active-subscriptions'>) => answer(client.GET('/v1/reports/partners/active-subscriptions', { params: { query } })),
  activity: (query: QueryOf<'/v1/reports/partners/activity'>) => answer(client.GET('/v1/reports/partners/activity', { params: { query } })),
  exportActiveSubscriptions: async (query: QueryOf<'/v1/reports/partners/active-subscriptions/export'>) =>
    (await client.GET('/v1/reports/partners/active-subscriptions/export', { params: { query }, ...csv })).data as string,
  exportActivity: async (query: QueryOf<'/v1/reports/partners/activity/export'>) =>
    (await client.GET('/v1/reports/partners/activity/export', { params: { query }, ...csv })).data as string,
};
