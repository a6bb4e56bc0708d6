import Type from 'typebox';
import { commonErrors, Id, IdParams, ListQuery, NoContent, Nullable, Page, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';

const FaqSchema = Type.Object({
  id: Type.String(),
  productId: Nullable(Type.String()),
  question: Type.String(),
  answer: Type.String({ description: 'Markdown' }),
  answerHtml: Type.String({ description: 'The answer as safe HTML (raw HTML escaped, only http(s), mailto and relative links)' }),
  position: Type.Integer(),
  published: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const fields = {
  question: Type.String({ minLength: 1, maxLength: 500 }),
  answer: Type.String({ minLength: 1, maxLength: 20_000, description: 'Markdown' }),
  productId: Type.Optional(Nullable(Id)),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Entries are listed by position (default: after the last)' })),
  published: Type.Optional(Type.Boolean({ description: 'Unpublished entries are visible to staff only (default true)' })),
};
const CreateFaqBody = Type.Object(fields, { additionalProperties: false });
const UpdateFaqBody = Type.Object(
  { ...fields, question: Type.Optional(fields.question), answer: Type.Optional(fields.answer) },
  { additionalProperties: false, minProperties: 1 },
);
const ListFaqQuery = Type.Object({ productId: Type.Optional(Id), ...ListQuery.properties }, { additionalProperties: false });

/** The customer portal's FAQ entries. */
export function faqRoutes(app: App, { faq }: Services): void {
  app.get(
    '/v1/faq',
    {
      schema: {
        operationId: 'listFaqEntries',
        summary: 'List FAQ entries',
        tags: ['settings'],
        description: 'Ordered by position. Customers: published entries that are general or about a product they see; with productId, that product\'s and the general ones.',
        querystring: ListFaqQuery,
        response: { 200: Page(FaqSchema), ...commonErrors },
      },
      config: { access: { authenticated: true } },
    },
    async (request) => faq.list(ctx(request), { productId: request.query.productId, limit: request.query.limit ?? 25, cursor: request.query.cursor }),
  );

  app.post(
    '/v1/faq',
    {
      schema: { operationId: 'createFaqEntry', summary: 'Create a FAQ entry', tags: ['settings'], body: CreateFaqBody, response: { 201: FaqSchema, ...commonErrors } },
      config: { access: { permission: 'settings:write' } },
    },
    async (request, reply) => reply.status(201).send(await faq.create(ctx(request), request.body)),
  );

  app.patch(
    '/v1/faq/:id',
    {
      schema: { operationId: 'updateFaqEntry', summary: 'Update a FAQ entry', tags: ['settings'], params: IdParams, body: UpdateFaqBody, response: { 200: FaqSchema, ...commonErrors } },
      config: { access: { permission: 'settings:write' } },
    },
    async (request) => faq.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/faq/:id',
    {
      schema: { operationId: 'deleteFaqEntry', summary: 'Delete a FAQ entry', tags: ['settings'], params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'settings:write' } },
    },
    async (request, reply) => {
      await faq.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
