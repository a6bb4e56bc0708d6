import { commonErrors, IdParams, ListQuery, Page, NoContent } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreateProductBody, ProductSchema, UpdateProductBody } from './products.schemas.js';

export function productRoutes(app: App, { products }: Services): void {
  app.post(
    '/v1/products',
    {
      schema: { operationId: 'createProduct', summary: 'Create a product', tags: ['products'], body: CreateProductBody, response: { 201: ProductSchema, ...commonErrors } },
      config: { access: { permission: 'products:write' } },
    },
    async (request, reply) => reply.status(201).send(await products.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/products',
    {
      schema: { operationId: 'listProducts', summary: 'List products', tags: ['products'], querystring: ListQuery, response: { 200: Page(ProductSchema), ...commonErrors } },
      config: { access: { permission: 'products:read' } },
    },
    async (request) => products.list(ctx(request), request.query.limit ?? 25, request.query.cursor),
  );

  app.get(
    '/v1/products/:id',
    {
      schema: { operationId: 'getProduct', summary: 'Get a product', tags: ['products'], params: IdParams, response: { 200: ProductSchema, ...commonErrors } },
      config: { access: { permission: 'products:read' } },
    },
    async (request) => products.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/products/:id',
    {
      schema: { operationId: 'updateProduct', summary: 'Update a product', tags: ['products'], params: IdParams, body: UpdateProductBody, response: { 200: ProductSchema, ...commonErrors } },
      config: { access: { permission: 'products:write' } },
    },
    async (request) => products.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/products/:id',
    {
      schema: { operationId: 'deleteProduct', summary: 'Delete a product', tags: ['products'], params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'products:write' } },
    },
    async (request, reply) => {
      await products.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
