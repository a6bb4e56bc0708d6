import { commonErrors, IdParams, ListQuery, NoContent, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { AddCustomerGroupMemberBody, CreateCustomerGroupBody, CustomerGroupSchema, GroupMemberParams, UpdateCustomerGroupBody } from './customer-groups.schemas.js';

/** Groups of a customer organization's people: managed by its customer admins (and staff), read by its users. */
export function customerGroupRoutes(app: App, { customerGroups }: Services): void {
  const tags = ['customer groups'];
  app.post(
    '/v1/customers/:id/groups',
    {
      schema: {
        operationId: 'createCustomerGroup',
        summary: 'Create a group in a customer organization',
        tags,
        description: "A group of the organization's users (a department); tickets (licenses) can be allocated to it. 409 when the organization has a group of that name.",
        params: IdParams,
        body: CreateCustomerGroupBody,
        response: { 201: CustomerGroupSchema, ...commonErrors },
      },
      config: { access: { permission: 'customer-groups:write' } },
    },
    async (request, reply) => reply.status(201).send(await customerGroups.create(ctx(request), request.params.id, request.body)),
  );

  app.get(
    '/v1/customers/:id/groups',
    {
      schema: {
        operationId: 'listCustomerGroups',
        summary: "List a customer organization's groups",
        tags,
        description: 'Staff and customer admins see every group of the organization; a member sees the groups it is in.',
        params: IdParams,
        querystring: ListQuery,
        response: { 200: Page(CustomerGroupSchema), ...commonErrors },
      },
      config: { access: { permission: 'customers:read' } },
    },
    async (request) => customerGroups.list(ctx(request), request.params.id, { limit: request.query.limit ?? 25, cursor: request.query.cursor }),
  );

  app.get(
    '/v1/customer-groups/:id',
    {
      schema: { operationId: 'getCustomerGroup', summary: 'Get a customer group', tags, params: IdParams, response: { 200: CustomerGroupSchema, ...commonErrors } },
      config: { access: { permission: 'customers:read' } },
    },
    async (request) => customerGroups.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/customer-groups/:id',
    {
      schema: { operationId: 'updateCustomerGroup', summary: 'Rename a customer group or change who sees its tickets', tags, params: IdParams, body: UpdateCustomerGroupBody, response: { 200: CustomerGroupSchema, ...commonErrors } },
      config: { access: { permission: 'customer-groups:write' } },
    },
    async (request) => customerGroups.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/customer-groups/:id',
    {
      schema: {
        operationId: 'deleteCustomerGroup',
        summary: 'Delete a customer group',
        tags,
        description: "The group's tickets go back to the organization (each recorded as license.allocated).",
        params: IdParams,
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { permission: 'customer-groups:write' } },
    },
    async (request, reply) => {
      await customerGroups.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/customer-groups/:id/members',
    {
      schema: {
        operationId: 'addCustomerGroupMember',
        summary: 'Add a user to a customer group, or set its admin flag',
        tags,
        description: "The user must be an active user of the group's organization: else 422 NOT_IN_ORGANIZATION.",
        params: IdParams,
        body: AddCustomerGroupMemberBody,
        response: { 200: CustomerGroupSchema, ...commonErrors },
      },
      config: { access: { permission: 'customer-groups:write' } },
    },
    async (request) => customerGroups.addMember(ctx(request), request.params.id, { userId: request.body.userId, admin: request.body.admin ?? false }),
  );

  app.delete(
    '/v1/customer-groups/:id/members/:userId',
    {
      schema: {
        operationId: 'removeCustomerGroupMember',
        summary: 'Remove a user from a customer group',
        tags,
        description: 'Tickets allocated to that person stay theirs until an admin allocates them again.',
        params: GroupMemberParams,
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { permission: 'customer-groups:write' } },
    },
    async (request, reply) => {
      await customerGroups.removeMember(ctx(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );
}
