import Type from 'typebox';
import { sendCsvExport } from '../../http/csv-reply.js';
import { commonErrors, IdParams, Page, NoContent } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreateCustomerBody, CustomerSchema, ExportCustomersQuery, ListCustomersQuery, UpdateCustomerBody } from './customers.schemas.js';

export function customerRoutes(app: App, { customers }: Services): void {
  app.post(
    '/v1/customers',
    {
      schema: { operationId: 'createCustomer', summary: 'Create a customer', tags: ['customers'], body: CreateCustomerBody, response: { 201: CustomerSchema, ...commonErrors } },
      config: { access: { permission: 'customers:write' } },
    },
    async (request, reply) => reply.status(201).send(await customers.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/customers',
    {
      schema: { operationId: 'listCustomers', summary: 'List customers', tags: ['customers'], querystring: ListCustomersQuery, response: { 200: Page(CustomerSchema), ...commonErrors } },
      config: { access: { permission: 'customers:read' } },
    },
    async (request) => customers.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/customers/export',
    {
      schema: {
        operationId: 'exportCustomers',
        summary: 'Export customers as CSV',
        tags: ['customers'],
        description:
          'The customers of listCustomers (the same filters and scope) as CSV for ERP import: a header row, one line per customer, newest first, ISO-8601 UTC times. Streamed page by page; an error after the download started cuts it short.',
        querystring: ExportCustomersQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'customers:read' } },
    },
    async (request, reply) => sendCsvExport(reply, customers.exportCsv(ctx(request), request.query)),
  );

  app.get(
    '/v1/customers/:id',
    {
      schema: { operationId: 'getCustomer', summary: 'Get a customer', tags: ['customers'], params: IdParams, response: { 200: CustomerSchema, ...commonErrors } },
      config: { access: { permission: 'customers:read' } },
    },
    async (request) => customers.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/customers/:id',
    {
      schema: { operationId: 'updateCustomer', summary: 'Update a customer', tags: ['customers'], params: IdParams, body: UpdateCustomerBody, response: { 200: CustomerSchema, ...commonErrors } },
      config: { access: { permission: 'customers:write' } },
    },
    async (request) => customers.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/customers/:id',
    {
      schema: { operationId: 'deleteCustomer', summary: 'Delete a customer', tags: ['customers'], params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'customers:write' } },
    },
    async (request, reply) => {
      await customers.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
