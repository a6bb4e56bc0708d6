import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { MailBodiesTable, MailOutboxTable, MailPreferencesTable, MailTemplatesTable } from './mail.tables.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { MailCategory } from './templates.js';

export const MAIL_STATUSES = ['held', 'queued', 'sending', 'sent', 'failed', 'suppressed'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

export interface OutboxMail {
  id: string;
  template: string;
  to: string[];
  /** Recipients left out by their preferences. */
  suppressedTo: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  category: MailCategory;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  messageId: string;
  dedupeKey: string | null;
  customerId: string | null;
  userId: string | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

export interface MailPreferences {
  email: string;
  reminders: boolean;
  announcements: boolean;
  alerts: boolean;
  updatedAt: string | null;
}

export const splitAddresses = (value: string | null): string[] => (value ? value.split(', ').filter(Boolean) : []);

/** Bodies are sealed per mail (the id is in the associated data), so a ciphertext cannot be moved to another row. */
export const bodyPurpose = (id: string, part: 'text' | 'html') => `mail.${part}:${id}`;

/** Bodies' one-time secrets are sealed apart (`secrets_ciphertext`); the bodies hold these placeholders instead. */
export const SECRET_PLACEHOLDER = /khsecret_[0-9a-f]{24}/g;
export const secretsPurpose = (id: string) => `mail.secrets:${id}`;

/**
 * Outbox views never show live one-time tokens: the placeholders of sealed secrets read as `[one-time
 * secret]` (the secret itself is not even decrypted for them), and `token=` values of mail recorded before
 * secrets were sealed apart, or of unsubscribe links, read as `[redacted]`. Staff read bodies, not credentials.
 */
export function redactTokens(body: string): string {
  return body.replace(SECRET_PLACEHOLDER, '[one-time secret]').replace(/([?&](?:amp;)?token=)[A-Za-z0-9_.~%-]+/g, '$1[redacted]');
}

/** What delivery sends: the placeholders replaced by the mail's sealed secrets. Only the mail.send job calls this. */
export function revealSecrets(row: Pick<MailBodiesTable, 'mail_id' | 'secrets_ciphertext'>, keyring: Keyring, mail: { subject: string; text: string; html: string }) {
  if (row.secrets_ciphertext === null) return mail;
  const pairs = new Map(JSON.parse(keyring.decrypt(secretsPurpose(row.mail_id), row.secrets_ciphertext).toString('utf8')) as [string, string][]);
  const put = (value: string) => value.replace(SECRET_PLACEHOLDER, (placeholder) => pairs.get(placeholder) ?? placeholder);
  return { subject: put(mail.subject), text: put(mail.text), html: put(mail.html) };
}

export type OutboxRowWithBody = MailOutboxTable & Pick<MailBodiesTable, 'text_ciphertext' | 'html_ciphertext' | 'secrets_ciphertext'>;

export function toOutboxMail(row: OutboxRowWithBody, keyring: Keyring, options: { redact: boolean }): OutboxMail {
  const text = keyring.decrypt(bodyPurpose(row.id, 'text'), row.text_ciphertext).toString('utf8');
  const html = keyring.decrypt(bodyPurpose(row.id, 'html'), row.html_ciphertext).toString('utf8');
  return {
    id: row.id,
    template: row.template,
    to: splitAddresses(row.to_addresses),
    suppressedTo: splitAddresses(row.suppressed_to),
    subject: options.redact ? redactTokens(row.subject) : row.subject,
    text: options.redact ? redactTokens(text) : text,
    html: options.redact ? redactTokens(html) : html,
    headers: options.redact
      ? Object.fromEntries(Object.entries(parseJson<Record<string, string>>(row.headers, {})).map(([k, v]) => [k, redactTokens(v)]))
      : parseJson<Record<string, string>>(row.headers, {}),
    category: row.category as MailCategory,
    status: row.status as MailStatus,
    attempts: row.attempts,
    lastError: row.last_error,
    messageId: row.message_id,
    dedupeKey: row.dedupe_key,
    customerId: row.customer_id,
    userId: row.user_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    sentAt: toIso(row.sent_at),
  };
}

export function toPreferences(email: string, row: MailPreferencesTable | undefined): MailPreferences {
  if (!row) return { email, reminders: true, announcements: true, alerts: true, updatedAt: null };
  return { email, reminders: Boolean(row.reminders), announcements: Boolean(row.announcements), alerts: Boolean(row.alerts), updatedAt: toIso(row.updated_at) };
}

export async function findTemplateRow(executor: Executor, key: string): Promise<MailTemplatesTable | undefined> {
  return executor.selectFrom('mail_templates').selectAll().where('key', '=', key).executeTakeFirst();
}

/** Outbox rows with their sealed bodies. */
export function selectOutbox(executor: Executor) {
  return executor
    .selectFrom('mail_outbox')
    .innerJoin('mail_bodies', 'mail_bodies.mail_id', 'mail_outbox.id')
    .selectAll('mail_outbox')
    .select(['mail_bodies.text_ciphertext', 'mail_bodies.html_ciphertext', 'mail_bodies.secrets_ciphertext']);
}

export async function findOutboxRow(executor: Executor, id: string): Promise<OutboxRowWithBody | undefined> {
  return selectOutbox(executor).where('mail_outbox.id', '=', id).executeTakeFirst();
}

export async function findBodies(executor: Executor, ids: string[]): Promise<Map<string, MailBodiesTable>> {
  if (ids.length === 0) return new Map();
  const rows = await executor.selectFrom('mail_bodies').selectAll().where('mail_id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.mail_id, r]));
}

export async function findOutboxIdByDedupeKey(executor: Executor, key: string): Promise<{ id: string; status: string } | undefined> {
  return executor.selectFrom('mail_outbox').select(['id', 'status']).where('dedupe_key', '=', key).executeTakeFirst();
}

export async function findPreferenceRows(executor: Executor, emails: string[]): Promise<MailPreferencesTable[]> {
  if (emails.length === 0) return [];
  return executor.selectFrom('mail_preferences').selectAll().where('email', 'in', emails).execute();
}

export async function upsertPreferences(executor: Executor, row: MailPreferencesTable): Promise<void> {
  await executor
    .insertInto('mail_preferences')
    .values(row)
    .onConflict((oc) =>
      oc.column('email').doUpdateSet({ reminders: row.reminders, announcements: row.announcements, alerts: row.alerts, updated_by: row.updated_by, updated_at: row.updated_at }),
    )
    .execute();
}
