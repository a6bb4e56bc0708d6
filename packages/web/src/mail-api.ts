import { request, type Page } from './api.js';

/**
 * The mail API as the web app uses it: templates, the outbox and preferences (console), and the signed-in
 * user's own preferences (portal). Shapes mirror `packages/server/src/modules/mail/mail.schemas.ts`.
 */

export type MailCategory = 'essential' | 'reminders' | 'announcements' | 'alerts';
export type OptionalCategory = Exclude<MailCategory, 'essential'>;
export type MailStatus = 'held' | 'queued' | 'sending' | 'sent' | 'failed' | 'suppressed';
export const MAIL_STATUSES: readonly MailStatus[] = ['held', 'queued', 'sending', 'sent', 'failed', 'suppressed'];

/** What each status means, in the words the API's documentation uses. */
export const STATUS_HELP: Record<MailStatus, string> = {
  held: 'no SMTP server was configured when it was recorded',
  queued: 'waiting for delivery',
  sending: 'being handed to the SMTP server',
  sent: 'accepted by the SMTP server',
  failed: 'refused by the SMTP server (see the last error)',
  suppressed: 'every recipient opted out of this category',
};

/**
 * Variables every template gets besides its own data (the server's GLOBAL_VARIABLES in
 * `modules/mail/templates.ts`; `unsubscribeUrl` is empty in essential mail).
 */
export const GLOBAL_VARIABLES = ['publicUrl', 'signInUrl', 'recipient', 'category', 'unsubscribeUrl'] as const;

export interface TemplateSource {
  subject: string;
  text: string;
  html: string;
}

export interface MailTemplate extends TemplateSource {
  key: string;
  description: string;
  category: MailCategory;
  customized: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  sampleData: Record<string, unknown>;
}

export interface OutboxMail {
  id: string;
  template: string;
  to: string[];
  suppressedTo: string[];
  subject: string;
  text: string;
  html: string;
  category: MailCategory;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  messageId: string;
  customerId: string | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

export interface OutboxQuery {
  status?: MailStatus | undefined;
  to?: string | undefined;
  template?: string | undefined;
  cursor?: string | null;
}

export interface MailPreferences {
  email: string;
  reminders: boolean;
  announcements: boolean;
  alerts: boolean;
  updatedAt: string | null;
}
export type PreferencesPatch = Partial<Record<OptionalCategory, boolean>>;

const templatePath = (key: string) => `/v1/mail-templates/${encodeURIComponent(key)}`;

export const mailApi = {
  listTemplates: () => request<{ data: MailTemplate[] }>('GET', '/v1/mail-templates').then((answer) => answer.data),
  getTemplate: (key: string) => request<MailTemplate>('GET', templatePath(key)),
  updateTemplate: (key: string, body: TemplateSource) => request<MailTemplate>('PUT', templatePath(key), { body }),
  resetTemplate: (key: string) => request<MailTemplate>('POST', `${templatePath(key)}/actions/reset`),
  /** Renders unsaved parts with the template's sample data; sends nothing. */
  previewTemplate: (key: string, body: Partial<TemplateSource>) => request<TemplateSource>('POST', `${templatePath(key)}/preview`, { body }),

  listOutbox: (query: OutboxQuery) => request<Page<OutboxMail>>('GET', '/v1/outbox', { query: { ...query, limit: 25 } }),
  getMail: (id: string) => request<OutboxMail>('GET', `/v1/outbox/${encodeURIComponent(id)}`),
  retryMail: (id: string) => request<OutboxMail>('POST', `/v1/outbox/${encodeURIComponent(id)}/actions/retry`),
  /** Releases held mail (all, or `ids`); 409 SMTP_NOT_CONFIGURED while the server still has no SMTP_URL. */
  sendHeld: (ids?: string[]) => request<{ released: number }>('POST', '/v1/outbox/actions/send-held', { body: ids ? { ids } : {} }),

  getAddressPreferences: (email: string) => request<MailPreferences>('GET', `/v1/mail-preferences/${encodeURIComponent(email)}`),
  updateAddressPreferences: (email: string, patch: PreferencesPatch) =>
    request<MailPreferences>('PATCH', `/v1/mail-preferences/${encodeURIComponent(email)}`, { body: patch }),

  /** The signed-in user's own preferences. */
  getOwnPreferences: () => request<MailPreferences>('GET', '/v1/mail-preferences'),
  updateOwnPreferences: (patch: PreferencesPatch) => request<MailPreferences>('PATCH', '/v1/mail-preferences', { body: patch }),
};
