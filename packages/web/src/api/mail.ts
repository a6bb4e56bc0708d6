import { answer, client, everyOf, type Answer, type ItemOf, type RequestBody } from './api.js';

/**
 * The mail API as the web app uses it: templates, the outbox and preferences (console), and the signed-in
 * user's own preferences (portal). Shapes come from the server's schemas (generated/openapi.ts).
 */

export type MailTemplate = ItemOf<'/v1/mail-templates'>;
export type MailCategory = MailTemplate['category'];
export type OptionalCategory = Exclude<MailCategory, 'essential'>;
export type OutboxMail = Answer<'/v1/outbox/{id}', 'get'>;
export type MailStatus = OutboxMail['status'];
export const MAIL_STATUSES = everyOf<MailStatus>()(['held', 'queued', 'sending', 'sent', 'failed', 'suppressed']);

/** What each status means, in the words the API's documentation uses. */
export const STATUS_HELP: Record<MailStatus, string> = {
  held: 'no SMTP server was configured when it was recorded',
  queued: 'waiting for delivery',
  sending: 'being handed to the SMTP server',
  sent: 'accepted by the SMTP server',
  failed: 'refused by the SMTP server (see the last error)',
  suppressed: 'every recipient opted out of this category',
};

/** The parts of a template staff edit (`updateTemplate`). */
export type TemplateSource = RequestBody<'/v1/mail-templates/{key}', 'put'>;

export interface OutboxQuery {
  status?: MailStatus | undefined;
  to?: string | undefined;
  template?: string | undefined;
  cursor?: string | null;
}

export type MailPreferences = Answer<'/v1/mail-preferences', 'get'>;
export type PreferencesPatch = RequestBody<'/v1/mail-preferences', 'patch'>;

const key = (value: string) => ({ path: { key: value } });
const id = (value: string) => ({ path: { id: value } });
const email = (value: string) => ({ path: { email: value } });

export const mailApi = {
  listTemplates: () => answer(client.GET('/v1/mail-templates')).then((templates) => templates.data),
  getTemplate: (name: string) => answer(client.GET('/v1/mail-templates/{key}', { params: key(name) })),
  updateTemplate: (name: string, body: TemplateSource) => answer(client.PUT('/v1/mail-templates/{key}', { params: key(name), body })),
  resetTemplate: (name: string) => answer(client.POST('/v1/mail-templates/{key}/actions/reset', { params: key(name) })),
  /** Renders unsaved parts with the template's sample data; sends nothing. */
  previewTemplate: (name: string, body: RequestBody<'/v1/mail-templates/{key}/preview', 'post'>) =>
    answer(client.POST('/v1/mail-templates/{key}/preview', { params: key(name), body })),

  listOutbox: ({ cursor, ...query }: OutboxQuery) => answer(client.GET('/v1/outbox', { params: { query: { ...query, cursor: cursor ?? undefined, limit: 25 } } })),
  getMail: (mailId: string) => answer(client.GET('/v1/outbox/{id}', { params: id(mailId) })),
  retryMail: (mailId: string) => answer(client.POST('/v1/outbox/{id}/actions/retry', { params: id(mailId) })),
  /** Releases held mail (all, or `ids`); 409 SMTP_NOT_CONFIGURED while the server still has no SMTP_URL. */
  sendHeld: (ids?: string[]) => answer(client.POST('/v1/outbox/actions/send-held', { body: ids ? { ids } : {} })),

  getAddressPreferences: (address: string) => answer(client.GET('/v1/mail-preferences/{email}', { params: email(address) })),
  updateAddressPreferences: (address: string, patch: PreferencesPatch) =>
    answer(client.PATCH('/v1/mail-preferences/{email}', { params: email(address), body: patch })),

  /** The signed-in user's own preferences. */
  getOwnPreferences: () => answer(client.GET('/v1/mail-preferences')),
  updateOwnPreferences: (patch: PreferencesPatch) => answer(client.PATCH('/v1/mail-preferences', { body: patch })),
};
