import { commonErrors, IdParams, NoContent } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreateProductGroupBody, ProductGroupList, ProductGroupSchema, UpdateProductGroupBody } from './product-groups.schemas.js';

export function productGroupRoutes(app: App, { productGroups }: Services): void {
  app.post(
    '/v1/product-groups',
    {
      schema: {
        operationId: 'createProductGroup',
        summary: 'Create a product group',
        tags: ['product-groups'],
        body: CreateProductGroupBody,
        response: { 201: ProductGroupSchema, ...commonErrors },
      },
      config: { access: { permission: 'products:write' } },
    },
    async (request, reply) => reply.status(201).send(await productGroups.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/product-groups',
    {
      schema: { operationId: 'listProductGroups', summary: 'List product groups', tags: ['product-groups'], response: { 200: ProductGroupList, ...commonErrors } },
      config: { access: { permission: 'products:read' } },
    },
    async (request) => ({ data: await productGroups.list(ctx(request)) }),
  );

  app.get(
    '/v1/product-groups/:id',
    {
      schema: { operationId: 'getProductGroup', summary: 'Get a product group', tags: ['product-groups'], params: IdParams, response: { 200: ProductGroupSchema, ...commonErrors } },
      config: { access: { permission: 'products:read' } },
    },
    async (request) => productGroups.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/product-groups/:id',
    {
      schema: {
        operationId: 'updateProductGroup',
        summary: 'Update a product group',
        tags: ['product-groups'],
        params: IdParams,
        body: UpdateProductGroupBody,
        response: { 200: ProductGroupSchema, ...commonErrors },
      },
      config: { access: { permission: 'products:write' } },
    },
    async (request) => productGroups.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/product-groups/:id',
    {
      schema: {
        operationId: 'deleteProductGroup',
        summary: 'Delete a product group',
        description: '409 IN_USE while a partner grant uses it.',
        tags: ['product-groups'],
        params: IdParams,
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { permission: 'products:write' } },
    },
    async (request, reply) => {
      await productGroups.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
