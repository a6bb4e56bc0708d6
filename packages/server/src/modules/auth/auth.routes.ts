import Type from 'typebox';
import { PERMISSIONS } from '../../http/access.js';
import { commonErrors, ErrorBody, Id, IdParams, ListQuery, Nullable, NullableTimestamp, Page, StringEnum, Timestamp, NoContent } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { Email } from '../customers/customers.schemas.js';
import { Password, RoleSchema, UserSchema } from '../users/users.schemas.js';

const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  hint: Type.String({ description: 'The last 4 characters of the token' }),
  role: RoleSchema,
  customerId: Nullable(Type.String()),
  createdBy: Nullable(Type.String()),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  createdAt: Timestamp,
});

export function authRoutes(app: App, { auth }: Services, options: { signInRateLimit: number }): void {
  app.post(
    '/v1/auth/sign-in',
    {
      schema: {
        operationId: 'signIn',
        summary: 'Sign in with email and password',
        tags: ['auth'],
        security: [],
        description: 'E-mail and password → a session token to send as `Authorization: Bearer <token>`.',
        body: Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Timestamp, user: UserSchema }), 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, rateLimit: { max: options.signInRateLimit, timeWindow: 60_000 } },
    },
    async (request) =>
      auth.signIn(request.body.email, request.body.password, { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id }),
  );

  app.post(
    '/v1/auth/sign-out',
    {
      schema: { operationId: 'signOut', summary: 'Sign out and end the session', tags: ['auth'], response: { 204: NoContent, ...commonErrors } },
      config: { access: { authenticated: true } },
    },
    async (request, reply) => {
      await auth.signOut(ctx(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/auth/me',
    {
      schema: {
        operationId: 'getMe',
        summary: 'Get the signed-in actor',
        tags: ['auth'],
        response: {
          200: Type.Object({
            actor: Type.Object({
              type: Type.String(),
              role: RoleSchema,
              label: Type.String(),
              customerId: Nullable(Type.String()),
              partnerId: Nullable(Type.String({ description: "A partner user's partner" })),
              permissions: Type.Array(StringEnum(PERMISSIONS), { description: "What this caller may do: its role's permissions (for a token, also within its creator's role)" }),
              grantableRoles: Type.Array(RoleSchema, { description: 'The roles this caller may hand out to users and tokens' }),
            }),
            user: Nullable(UserSchema),
            staffRoles: Type.Array(RoleSchema, { description: 'Vendor staff roles (they sign in to the console); every other role belongs to a customer organization (the portal) or a partner' }),
          }),
          ...commonErrors,
        },
      },
      config: { access: { authenticated: true } },
    },
    async (request) => auth.me(ctx(request)),
  );

  app.post(
    '/v1/auth/password',
    {
      schema: {
        operationId: 'changePassword',
        summary: 'Change your own password',
        tags: ['auth'],
        body: Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Password }, { additionalProperties: false }),
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { authenticated: true } },
    },
    async (request, reply) => {
      await auth.changePassword(ctx(request), request.body.currentPassword, request.body.newPassword);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/tokens',
    {
      schema: {
        operationId: 'createToken',
        summary: 'Create an API token',
        tags: ['tokens'],
        description: 'An API token for integrations. The token is in this answer only; it is stored as a digest.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            role: RoleSchema,
            customerId: Type.Optional(Id),
            expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...TokenSchema.properties, token: Type.String() }), ...commonErrors },
      },
      config: { access: { permission: 'tokens:write' } },
    },
    async (request, reply) => {
      const { token, apiToken } = await auth.createToken(ctx(request), request.body);
      return reply.status(201).send({ ...apiToken, token });
    },
  );

  app.get(
    '/v1/tokens',
    {
      schema: { operationId: 'listTokens', summary: 'List API tokens', tags: ['tokens'], querystring: ListQuery, response: { 200: Page(TokenSchema), ...commonErrors } },
      config: { access: { permission: 'tokens:read' } },
    },
    async (request) => auth.listTokens(ctx(request), request.query.limit ?? 25, request.query.cursor),
  );

  app.delete(
    '/v1/tokens/:id',
    {
      schema: { operationId: 'revokeToken', summary: 'Revoke an API token', tags: ['tokens'], params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'tokens:write' } },
    },
    async (request, reply) => {
      await auth.revokeToken(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
