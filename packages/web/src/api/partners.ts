import { all, answer, client, everyOf, PAGE, type Answer, type ItemOf, type QueryOf, type RequestBody } from './api.js';

/**
 * The console's calls for selling through partners: product groups, partners with their rights per group,
 * partner users, contracts (license packs of a partner or a customer organization) and the partner report.
 */

export type ProductGroup = Answer<'/v1/product-groups/{id}', 'get'>;
export type ProductGroupInput = RequestBody<'/v1/product-groups', 'post'>;

export type Partner = Answer<'/v1/partners/{id}', 'get'>;
export type PartnerGrant = Partner['grants'][number];
export type PartnerRight = PartnerGrant['rights'][number];
/** Every right a partner may hold on a product group, in the order the rights matrix shows them. */
export const PARTNER_RIGHTS = everyOf<PartnerRight>()([
  'trials:create',
  'licenses:create',
  'licenses:extend',
  'licenses:suspend',
  'licenses:revoke',
  'subscriptions:cancel',
  'customers:create',
  'downloads',
]);
export type PartnerUser = ItemOf<'/v1/users'>;
export type PartnerRole = Extract<RequestBody<'/v1/users', 'post'>['role'], `partner-${string}`>;
export const PARTNER_ROLES = everyOf<PartnerRole>()(['partner-admin', 'partner-member']);

export type Contract = Answer<'/v1/contracts/{id}', 'get'>;
export type ContractUnit = Contract['unit'];
export const CONTRACT_UNITS = everyOf<ContractUnit>()(['licenses', 'seats']);
export type ContractInput = RequestBody<'/v1/contracts', 'post'>;
/** Who holds a contract: a partner or a customer organization. */
export type ContractHolder = { partnerId: string } | { customerId: string };

export type ActiveSubscriptions = Answer<'/v1/reports/partners/active-subscriptions', 'get'>;
export type PartnerActivity = Answer<'/v1/reports/partners/activity', 'get'>;

const id = (value: string) => ({ path: { id: value } });

/** A CSV answer as text (the bearer token goes with it, as with every call). */
const csv = { parseAs: 'text', headers: { accept: 'text/csv, application/json' } } as const;

export const partnersApi = {
  listProductGroups: () => answer(client.GET('/v1/product-groups')).then((groups) => groups.data),
  getProductGroup: (groupId: string) => answer(client.GET('/v1/product-groups/{id}', { params: id(groupId) })),
  createProductGroup: (body: ProductGroupInput) => answer(client.POST('/v1/product-groups', { body })),
  updateProductGroup: (groupId: string, body: RequestBody<'/v1/product-groups/{id}', 'patch'>) =>
    answer(client.PATCH('/v1/product-groups/{id}', { params: id(groupId), body })),
  /** 409 IN_USE while a partner grant uses the group. */
  deleteProductGroup: (groupId: string) => answer(client.DELETE('/v1/product-groups/{id}', { params: id(groupId) })),

  listPartners: () => all((cursor) => client.GET('/v1/partners', { params: { query: { limit: PAGE, cursor } } })),
  getPartner: (partnerId: string) => answer(client.GET('/v1/partners/{id}', { params: id(partnerId) })),
  createPartner: (body: RequestBody<'/v1/partners', 'post'>) => answer(client.POST('/v1/partners', { body })),
  /** `grants`, when sent, replaces them all. */
  updatePartner: (partnerId: string, body: RequestBody<'/v1/partners/{id}', 'patch'>) => answer(client.PATCH('/v1/partners/{id}', { params: id(partnerId), body })),

  listPartnerUsers: (partnerId: string) => all((cursor) => client.GET('/v1/users', { params: { query: { partnerId, kind: 'partner', limit: PAGE, cursor } } })),
  /** The first page of a partner's customers (the partner page shows the newest). */
  listPartnerCustomers: (partnerId: string) => answer(client.GET('/v1/customers', { params: { query: { partnerId, limit: 25 } } })),
  /** Every customer, or only a partner's (the customer list filtered by partner). */
  listCustomers: (partnerId?: string) => all((cursor) => client.GET('/v1/customers', { params: { query: { partnerId, limit: PAGE, cursor } } })),

  listContracts: (holder: ContractHolder) => all((cursor) => client.GET('/v1/contracts', { params: { query: { ...holder, limit: PAGE, cursor } } })),
  createContract: (body: ContractInput) => answer(client.POST('/v1/contracts', { body })),
  /** Raise (never below what is drawn: 422 QUOTA_BELOW_USED) or end the quantity, or move the end date. */
  updateContract: (contractId: string, body: RequestBody<'/v1/contracts/{id}', 'patch'>) => answer(client.PATCH('/v1/contracts/{id}', { params: id(contractId), body })),
  cancelContract: (contractId: string) => answer(client.POST('/v1/contracts/{id}/actions/cancel', { params: id(contractId) })),

  activeSubscriptions: (query: QueryOf<'/v1/reports/partners/active-subscriptions'>) =>
    answer(client.GET('/v1/reports/partners/active-subscriptions', { params: { query } })),
  exportActiveSubscriptions: async (query: QueryOf<'/v1/reports/partners/active-subscriptions/export'>) =>
    (await client.GET('/v1/reports/partners/active-subscriptions/export', { params: { query }, ...csv })).data as string,
  activity: (query: QueryOf<'/v1/reports/partners/activity'>) => answer(client.GET('/v1/reports/partners/activity', { params: { query } })),
  exportActivity: async (query: QueryOf<'/v1/reports/partners/activity/export'>) =>
    (await client.GET('/v1/reports/partners/activity/export', { params: { query }, ...csv })).data as string,
};
