/**
 * Client calls for the portal's organization pages: groups of the organization's people, ticket
 * allocation, contracts and licenses drawn from them. The API decides what each role may do (customer
 * admins manage groups and contracts; a group admin allocates within its group) and scopes every read to
 * the signed-in user's organization.
 */
import { all, answer, client, PAGE, type Answer, type ItemOf, type RequestBody } from './api.js';

export type CustomerGroup = Answer<'/v1/customer-groups/{id}', 'get'>;
export type GroupMember = CustomerGroup['members'][number];
export type GroupVisibility = CustomerGroup['visibility'];
/** A license's ticket: the organization, a group, or a person (possibly through a group). */
export type Allocation = Answer<'/v1/licenses/{id}', 'get'>['allocation'];
/** Where a ticket goes: {} the organization, {groupId} a group, {userId} a person, both: a member of that group. */
export type AllocationTarget = RequestBody<'/v1/licenses/{id}/allocation', 'post'>;
export type Contract = ItemOf<'/v1/contracts'>;
export type ContractPolicy = ItemOf<'/v1/contracts/{id}/policies'>;
export type OrganizationUser = ItemOf<'/v1/users'>;

const id = (value: string) => ({ path: { id: value } });

export const portalApi = {
  listGroups: (customerId: string) => all((cursor) => client.GET('/v1/customers/{id}/groups', { params: { ...id(customerId), query: { limit: PAGE, cursor } } })),
  createGroup: (customerId: string, body: RequestBody<'/v1/customers/{id}/groups', 'post'>) =>
    answer(client.POST('/v1/customers/{id}/groups', { params: id(customerId), body })),
  updateGroup: (groupId: string, body: RequestBody<'/v1/customer-groups/{id}', 'patch'>) => answer(client.PATCH('/v1/customer-groups/{id}', { params: id(groupId), body })),
  /** The group's tickets go back to the organization. */
  deleteGroup: (groupId: string) => answer(client.DELETE('/v1/customer-groups/{id}', { params: id(groupId) })).then(() => undefined),
  /** Adds the user, or changes whether it is an admin of the group. */
  setMember: (groupId: string, userId: string, admin: boolean) =>
    answer(client.POST('/v1/customer-groups/{id}/members', { params: id(groupId), body: { userId, admin } })),
  removeMember: (groupId: string, userId: string) =>
    answer(client.DELETE('/v1/customer-groups/{id}/members/{userId}', { params: { path: { id: groupId, userId } } })).then(() => undefined),

  /** The users of the signed-in user's organization (the API scopes the list to it). */
  listUsers: (customerId: string) => all((cursor) => client.GET('/v1/users', { params: { query: { customerId, limit: PAGE, cursor } } })),

  allocate: (licenseId: string, target: AllocationTarget) => answer(client.POST('/v1/licenses/{id}/allocation', { params: id(licenseId), body: target })),
  /** "My tickets": the licenses allocated to the signed-in user by name. */
  myTickets: () => all((cursor) => client.GET('/v1/licenses', { params: { query: { allocatedTo: 'me', limit: PAGE, cursor } } })),

  listContracts: (customerId: string) => all((cursor) => client.GET('/v1/contracts', { params: { query: { customerId, limit: PAGE, cursor } } })),
  /** A license drawn from the organization's contract, on the policy's terms (422 QUOTA_EXHAUSTED, CONTRACT_ENDED). */
  createFromContract: (contractId: string, policyId: string, customerId: string, name?: string) =>
    answer(client.POST('/v1/licenses', { body: { policyId, contractId, customerId, ...(name ? { name } : {}) } })),
  /** The policies a license from the contract may have, with their products (the holder's admins may read them). */
  contractPolicies: (contractId: string) => answer(client.GET('/v1/contracts/{id}/policies', { params: { path: { id: contractId } } })).then((answered) => answered.data),
};
