import { commonErrors, IdParams, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreatePartnerBody, ListPartnersQuery, PartnerSchema, UpdatePartnerBody } from './partners.schemas.js';

export function partnerRoutes(app: App, { partners }: Services): void {
  app.post(
    '/v1/partners',
    {
      schema: { operationId: 'createPartner', summary: 'Create a partner with its rights per product group', tags: ['partners'], body: CreatePartnerBody, response: { 201: PartnerSchema, ...commonErrors } },
      config: { access: { permission: 'partners:write' } },
    },
    async (request, reply) => reply.status(201).send(await partners.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/partners',
    {
      schema: { operationId: 'listPartners', summary: 'List partners', tags: ['partners'], querystring: ListPartnersQuery, response: { 200: Page(PartnerSchema), ...commonErrors } },
      config: { access: { permission: 'partners:read' } },
    },
    async (request) => partners.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/partners/:id',
    {
      schema: { operationId: 'getPartner', summary: 'Get a partner and its grants', tags: ['partners'], params: IdParams, response: { 200: PartnerSchema, ...commonErrors } },
      config: { access: { permission: 'partners:read' } },
    },
    async (request) => partners.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/partners/:id',
    {
      schema: {
        operationId: 'updatePartner',
        summary: 'Update a partner (grants, when sent, are replaced)',
        tags: ['partners'],
        params: IdParams,
        body: UpdatePartnerBody,
        response: { 200: PartnerSchema, ...commonErrors },
      },
      config: { access: { permission: 'partners:write' } },
    },
    async (request) => partners.update(ctx(request), request.params.id, request.body),
  );
}
