import { commonErrors, IdParams, Page, NoContent } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreatePolicyBody, ListPoliciesQuery, PolicySchema, UpdatePolicyBody } from './policies.schemas.js';

export function policyRoutes(app: App, { policies }: Services): void {
  app.post(
    '/v1/policies',
    {
      schema: { operationId: 'createPolicy', summary: 'Create a policy', tags: ['policies'], body: CreatePolicyBody, response: { 201: PolicySchema, ...commonErrors } },
      config: { access: { permission: 'policies:write' } },
    },
    async (request, reply) => reply.status(201).send(await policies.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/policies',
    {
      schema: { operationId: 'listPolicies', summary: 'List policies', tags: ['policies'], querystring: ListPoliciesQuery, response: { 200: Page(PolicySchema), ...commonErrors } },
      config: { access: { permission: 'policies:read' } },
    },
    async (request) => policies.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/policies/:id',
    {
      schema: { operationId: 'getPolicy', summary: 'Get a policy', tags: ['policies'], params: IdParams, response: { 200: PolicySchema, ...commonErrors } },
      config: { access: { permission: 'policies:read' } },
    },
    async (request) => policies.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/policies/:id',
    {
      schema: { operationId: 'updatePolicy', summary: 'Update a policy', tags: ['policies'], params: IdParams, body: UpdatePolicyBody, response: { 200: PolicySchema, ...commonErrors } },
      config: { access: { permission: 'policies:write' } },
    },
    async (request) => policies.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/policies/:id',
    {
      schema: { operationId: 'deletePolicy', summary: 'Delete a policy', tags: ['policies'], params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'policies:write' } },
    },
    async (request, reply) => {
      await policies.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
