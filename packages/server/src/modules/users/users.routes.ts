import { commonErrors, IdParams, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreateUserBody, ListUsersQuery, UpdateUserBody, UserSchema } from './users.schemas.js';

export function userRoutes(app: App, { users }: Services): void {
  app.post(
    '/v1/users',
    {
      schema: { operationId: 'createUser', summary: 'Create a user', tags: ['users'], body: CreateUserBody, response: { 201: UserSchema, ...commonErrors } },
      config: { access: { permission: 'users:write' } },
    },
    async (request, reply) => reply.status(201).send(await users.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/users',
    {
      schema: { operationId: 'listUsers', summary: 'List users', tags: ['users'], querystring: ListUsersQuery, response: { 200: Page(UserSchema), ...commonErrors } },
      config: { access: { permission: 'users:read' } },
    },
    async (request) => users.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/users/:id',
    {
      schema: { operationId: 'getUser', summary: 'Get a user', tags: ['users'], params: IdParams, response: { 200: UserSchema, ...commonErrors } },
      config: { access: { permission: 'users:read' } },
    },
    async (request) => users.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/users/:id',
    {
      schema: { operationId: 'updateUser', summary: 'Update a user', tags: ['users'], params: IdParams, body: UpdateUserBody, response: { 200: UserSchema, ...commonErrors } },
      config: { access: { permission: 'users:write' } },
    },
    async (request) => users.update(ctx(request), request.params.id, request.body),
  );
}
