import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Actor } from '../../http/access.js';
import { commonErrors, ErrorBody, IdParams, NoContent, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import {
  MailTemplateSchema,
  OutboxMailSchema,
  OutboxQuery,
  PreferencesParams,
  PreferencesSchema,
  PreviewBody,
  RenderedSchema,
  SendHeldBody,
  TemplateKeyParams,
  UnsubscribeParams,
  UpdatePreferencesBody,
  UpdateTemplateBody,
} from './mail.schemas.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function unsubscribedPage(email: string, category: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Unsubscribed</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:480px;margin:64px auto;padding:0 16px;color:#1f2933;line-height:1.5">
<h1 style="font-size:20px">You are unsubscribed</h1>
<p>${escapeHtml(email)} no longer receives ${escapeHtml(category)} e-mails. Mails about your licenses and account (keys, renewals, password links) still arrive.</p>
<p>Changed your mind? Sign in and turn them back on in your e-mail settings.</p>
</body></html>`;
}

export function mailRoutes(app: App, { mail, mailTemplates, mailPreferences, mailDelivery }: Services): void {
  app.addHook('onClose', async () => {
    mailTemplates.close();
    mailDelivery.close();
  });

  // Templates ------------------------------------------------------------------------------------------

  app.get(
    '/v1/mail-templates',
    {
      schema: {
        operationId: 'listMailTemplates',
        summary: 'List mail templates',
        tags: ['mail'],
        description: 'Every template (one per kind of mail), as edited or as shipped, with the variables its sample uses.',
        response: { 200: Type.Object({ data: Type.Array(MailTemplateSchema) }), ...commonErrors },
      },
      config: { access: { permission: 'mail:read' } },
    },
    async () => ({ data: await mailTemplates.listTemplates() }),
  );

  app.get(
    '/v1/mail-templates/:key',
    {
      schema: { operationId: 'getMailTemplate', summary: 'Get a mail template', tags: ['mail'], params: TemplateKeyParams, response: { 200: MailTemplateSchema, ...commonErrors } },
      config: { access: { permission: 'mail:read' } },
    },
    async (request) => mailTemplates.getTemplate(request.params.key),
  );

  app.put(
    '/v1/mail-templates/:key',
    {
      schema: {
        operationId: 'updateMailTemplate',
        summary: 'Update a mail template',
        tags: ['mail'],
        description:
          'Replace a template (Liquid: `{{ license.key }}`, `{% if %}`, filters such as `date`). It must parse and render with the sample data, else 400 TEMPLATE_INVALID with the part, line and column. Mail already recorded keeps the content it was rendered with.',
        params: TemplateKeyParams,
        body: UpdateTemplateBody,
        response: { 200: MailTemplateSchema, ...commonErrors },
      },
      config: { access: { permission: 'mail:write' } },
    },
    async (request) => mailTemplates.updateTemplate(ctx(request), request.params.key, request.body),
  );

  app.post(
    '/v1/mail-templates/:key/actions/reset',
    {
      schema: {
        operationId: 'resetMailTemplate',
        summary: 'Reset a mail template to its default',
        tags: ['mail'],
        description: 'Back to the default content.',
        params: TemplateKeyParams,
        response: { 200: MailTemplateSchema, ...commonErrors },
      },
      config: { access: { permission: 'mail:write' } },
    },
    async (request) => mailTemplates.resetTemplate(ctx(request), request.params.key),
  );

  app.post(
    '/v1/mail-templates/:key/preview',
    {
      schema: {
        operationId: 'previewMailTemplate',
        summary: 'Preview a mail template',
        tags: ['mail'],
        description: 'Render the stored template, or unsaved parts given here, with its sample data or `data`. Sends nothing.',
        params: TemplateKeyParams,
        body: PreviewBody,
        response: { 200: RenderedSchema, ...commonErrors },
      },
      config: { access: { permission: 'mail:write' } },
    },
    async (request) => mailTemplates.previewTemplate(request.params.key, request.body),
  );

  // Outbox ---------------------------------------------------------------------------------------------

  app.get(
    '/v1/outbox',
    {
      schema: {
        operationId: 'listOutbox',
        summary: 'List outbox mail',
        tags: ['mail'],
        description: 'Every mail, newest first, with its rendered content and delivery status. Staff only (bodies hold license keys).',
        querystring: OutboxQuery,
        response: { 200: Page(OutboxMailSchema), ...commonErrors },
      },
      config: { access: { permission: 'mail:read' } },
    },
    async (request) => mail.listMail({ ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/outbox/:id',
    {
      schema: { operationId: 'getOutboxMail', summary: 'Get an outbox mail', tags: ['mail'], params: IdParams, response: { 200: OutboxMailSchema, ...commonErrors } },
      config: { access: { permission: 'mail:read' } },
    },
    async (request) => mail.getMail(request.params.id),
  );

  app.post(
    '/v1/outbox/:id/actions/retry',
    {
      schema: {
        operationId: 'retryOutboxMail',
        summary: 'Retry an outbox mail',
        tags: ['mail'],
        description: 'Queue a failed mail again (409 unless it failed; 409 SMTP_NOT_CONFIGURED without SMTP).',
        params: IdParams,
        response: { 200: OutboxMailSchema, ...commonErrors },
      },
      config: { access: { permission: 'mail:write' } },
    },
    async (request) => mail.retryMail(ctx(request), request.params.id),
  );

  app.post(
    '/v1/outbox/actions/send-held',
    {
      schema: {
        operationId: 'sendHeldMail',
        summary: 'Queue mail held while SMTP was unset',
        tags: ['mail'],
        description:
          'Queue the mail that was held while no SMTP server was configured (all, or `ids`). 409 SMTP_NOT_CONFIGURED while SMTP_URL is still unset.',
        body: SendHeldBody,
        response: { 200: Type.Object({ released: Type.Integer() }), ...commonErrors },
      },
      config: { access: { permission: 'mail:write' } },
    },
    async (request) => mail.sendHeldMail(ctx(request), request.body.ids),
  );

  // Preferences ----------------------------------------------------------------------------------------

  app.get(
    '/v1/mail-preferences',
    {
      schema: {
        operationId: 'getMailPreferences',
        summary: 'Get your mail preferences',
        tags: ['mail'],
        description: 'Which optional mail you receive (signed-in users). Essential mail (keys, renewals, password links) always goes.',
        response: { 200: PreferencesSchema, ...commonErrors },
      },
      config: { access: { authenticated: true } },
    },
    async (request) => mailPreferences.getOwnPreferences(ctx(request)),
  );

  app.patch(
    '/v1/mail-preferences',
    {
      schema: {
        operationId: 'updateMailPreferences',
        summary: 'Update your mail preferences',
        tags: ['mail'],
        description: 'Opt in or out of optional categories for your own address (signed-in users).',
        body: UpdatePreferencesBody,
        response: { 200: PreferencesSchema, ...commonErrors },
      },
      config: { access: { authenticated: true } },
    },
    async (request) => mailPreferences.updateOwnPreferences(ctx(request), request.body),
  );

  app.get(
    '/v1/mail-preferences/:email',
    {
      schema: {
        operationId: 'getAddressMailPreferences',
        summary: "Get an address's mail preferences",
        tags: ['mail'],
        description: "Staff: any address's preferences (a user's, a customer's contact address, a staff alert recipient).",
        params: PreferencesParams,
        response: { 200: PreferencesSchema, ...commonErrors },
      },
      config: { access: { permission: 'mail:read' } },
    },
    async (request) => mailPreferences.getPreferences(request.params.email),
  );

  app.patch(
    '/v1/mail-preferences/:email',
    {
      schema: {
        operationId: 'updateAddressMailPreferences',
        summary: "Update an address's mail preferences",
        tags: ['mail'],
        description: "Staff: change any address's preferences.",
        params: PreferencesParams,
        body: UpdatePreferencesBody,
        response: { 200: PreferencesSchema, ...commonErrors },
      },
      config: { access: { permission: 'mail:write' } },
    },
    async (request) => mailPreferences.updatePreferences(ctx(request), request.params.email, request.body),
  );

  const linkActor: Actor = { type: 'system', id: null, role: 'owner', scope: {}, label: 'unsubscribe link' };

  app.get(
    '/v1/mail/unsubscribe/:token',
    {
      schema: {
        operationId: 'unsubscribeMail',
        summary: 'Unsubscribe by signed link',
        tags: ['mail'],
        security: [],
        description: 'The signed link in optional mail: one click turns that category off for that address and shows a confirmation page. A forged link is 404.',
        params: UnsubscribeParams,
        produces: ['text/html'],
        response: { 200: Type.String({ description: 'An HTML confirmation page' }), 400: ErrorBody, 404: ErrorBody },
      },
      config: { access: { public: true } },
    },
    async (request, reply) => {
      const result = await mailPreferences.unsubscribe({ actor: linkActor, requestId: request.id, ip: request.ip }, request.params.token);
      return reply.type('text/html; charset=utf-8').send(unsubscribedPage(result.email, result.category));
    },
  );

  // RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` as a form to the same URL.
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, body, done) => done(null, body));
    scope.post(
      '/v1/mail/unsubscribe/:token',
      {
        schema: {
          operationId: 'unsubscribeMailOneClick',
          summary: 'Unsubscribe by one-click POST (RFC 8058)',
          tags: ['mail'],
          security: [],
          description: 'RFC 8058 one-click unsubscribe (List-Unsubscribe-Post): the same signed link, posted by the mail client; the form body is ignored.',
          params: UnsubscribeParams,
          response: { 204: NoContent, 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody },
        },
        config: { access: { public: true } },
      },
      async (request, reply) => {
        await mailPreferences.unsubscribe({ actor: linkActor, requestId: request.id, ip: request.ip }, request.params.token);
        return reply.status(204).send(null);
      },
    );
  });
}
