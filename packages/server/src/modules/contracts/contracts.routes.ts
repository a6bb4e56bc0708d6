import Type from 'typebox';
import { commonErrors, IdParams, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { ContractPolicySchema, ContractSchema, CreateContractBody, ListContractsQuery, UpdateContractBody } from './contracts.schemas.js';

/** Contracts (license packs, volume contracts): staff write them; staff and the holder's admins read them. */
export function contractRoutes(app: App, { contracts }: Services): void {
  app.post(
    '/v1/contracts',
    {
      schema: {
        operationId: 'createContract',
        summary: 'Create a contract',
        tags: ['contracts'],
        description: 'A license pack or volume contract: held by a customer or a partner (exactly one), for a policy or a product group (exactly one), of a number of licenses or seats (null: unlimited), until endsAt.',
        body: CreateContractBody,
        response: { 201: ContractSchema, ...commonErrors },
      },
      config: { access: { permission: 'contracts:write' } },
    },
    async (request, reply) => reply.status(201).send(await contracts.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/contracts',
    {
      schema: {
        operationId: 'listContracts',
        summary: 'List contracts',
        tags: ['contracts'],
        description: "Newest first. Customer admins: their organization's contracts, with what remains.",
        querystring: ListContractsQuery,
        response: { 200: Page(ContractSchema), ...commonErrors },
      },
      config: { access: { permission: 'contracts:read' } },
    },
    async (request) => contracts.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/contracts/:id',
    {
      schema: { operationId: 'getContract', summary: 'Get a contract', tags: ['contracts'], params: IdParams, response: { 200: ContractSchema, ...commonErrors } },
      config: { access: { permission: 'contracts:read' } },
    },
    async (request) => contracts.get(ctx(request), request.params.id),
  );

  app.get(
    '/v1/contracts/:id/policies',
    {
      schema: {
        operationId: 'listContractPolicies',
        summary: "List the policies a contract's licenses may have",
        tags: ['contracts'],
        description: "The policy it covers, or every policy of its product group's products (a partner: of its own products), with the product's name: what the holder's admins choose from when they create a license from it.",
        params: IdParams,
        response: { 200: Type.Object({ data: Type.Array(ContractPolicySchema) }), ...commonErrors },
      },
      config: { access: { permission: 'contracts:read' } },
    },
    async (request) => ({ data: await contracts.policies(ctx(request), request.params.id) }),
  );

  app.patch(
    '/v1/contracts/:id',
    {
      schema: {
        operationId: 'updateContract',
        summary: 'Update a contract',
        tags: ['contracts'],
        description: 'Change the quantity (never below what is drawn: 422 QUOTA_BELOW_USED) or the end date. 409 INVALID_TRANSITION for a cancelled contract.',
        params: IdParams,
        body: UpdateContractBody,
        response: { 200: ContractSchema, ...commonErrors },
      },
      config: { access: { permission: 'contracts:write' } },
    },
    async (request) => contracts.update(ctx(request), request.params.id, request.body),
  );

  app.post(
    '/v1/contracts/:id/actions/cancel',
    {
      schema: {
        operationId: 'cancelContract',
        summary: 'Cancel a contract',
        tags: ['contracts'],
        description: 'No more licenses can be drawn from it; those drawn stay. 409 INVALID_TRANSITION when it is cancelled already.',
        params: IdParams,
        response: { 200: ContractSchema, ...commonErrors },
      },
      config: { access: { permission: 'contracts:write' } },
    },
    async (request) => contracts.cancel(ctx(request), request.params.id),
  );
}
