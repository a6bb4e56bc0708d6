import Type from 'typebox';
import { commonErrors, ErrorBody, IdParams, NoContent, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { Email } from '../customers/customers.schemas.js';
import { Password } from '../users/users.schemas.js';

export function passwordRoutes(app: App, { passwordLinks }: Services, options: { rateLimit: number }): void {
  app.post(
    '/v1/auth/password-reset',
    {
      schema: {
        operationId: 'requestPasswordReset',
        summary: 'Request a password reset',
        tags: ['auth'],
        security: [],
        description:
          'Mails a one-time reset link (valid one hour) if an account has this address. The answer is always 202, so it does not tell whether the address has an account.',
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: { 202: NoContent, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      await passwordLinks.requestReset(request.body.email, { ip: request.ip, requestId: request.id });
      return reply.status(202).send(undefined as unknown as null);
    },
  );

  app.post(
    '/v1/auth/password-reset/complete',
    {
      schema: {
        operationId: 'completePasswordReset',
        summary: 'Complete a password reset',
        tags: ['auth'],
        security: [],
        description:
          'Sets the password with the token from a set-password or reset link. The token works once; unknown, expired or used → 400 TOKEN_INVALID. Ends the account\'s sessions; then sign in with the new password.',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false }),
        response: { 204: NoContent, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, rateLimit: { max: options.rateLimit * 4, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      await passwordLinks.complete(request.body.token, request.body.password, { ip: request.ip, requestId: request.id });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/users/:id/actions/send-password-link',
    {
      schema: {
        operationId: 'sendPasswordLink',
        summary: 'Mail a user a set-password link',
        tags: ['users'],
        description:
          'A fresh set-password link (valid 7 days) for a user the caller may manage (an admin cannot for an owner); earlier set links stop working. ' +
          '`deliver: "mail"` (the default) mails it to the user (202); `deliver: "show"` returns it once in this answer instead (200, `url`) and mails nothing — ' +
          'the way out when no SMTP server is configured. Audited either way; the event never holds the link.',
        params: IdParams,
        body: Type.Object({ deliver: Type.Optional(Type.Union([Type.Literal('mail'), Type.Literal('show')])) }, { additionalProperties: false }),
        response: { 200: Type.Object({ expiresAt: Timestamp, url: Type.String() }), 202: Type.Object({ expiresAt: Timestamp }), ...commonErrors },
      },
      config: { access: { permission: 'users:write' } },
      // The body is optional: no body means the default (mail).
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    async (request, reply) => {
      const deliver = request.body.deliver ?? 'mail';
      const result = await passwordLinks.sendSetLink(ctx(request), request.params.id, deliver);
      if (deliver === 'show') return reply.status(200).header('cache-control', 'no-store').send(result as { expiresAt: string; url: string });
      return reply.status(202).send({ expiresAt: result.expiresAt });
    },
  );
}
