import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from '../../db/database.js';
import type { MailOutboxTable } from './mail.tables.js';
import type { Keyring } from '../../crypto/keyring.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import {
  bodyPurpose,
  findOutboxIdByDedupeKey,
  findOutboxRow,
  secretsPurpose,
  selectOutbox,
  toOutboxMail,
  type MailStatus,
  type OutboxMail,
} from './mail.repository.js';
import { OPTIONAL_CATEGORIES, type MailCategory, type OptionalCategory } from './templates.js';
import { isMailAddress, type MailPreferencesService } from './mail-preferences.service.js';
import type { LoadedTemplate, MailTemplatesService } from './mail-templates.service.js';
import type { MailDelivery } from './mail-delivery.js';

export type { MailPreferences, OutboxMail, MailStatus } from './mail.repository.js';
export type { MailCategory } from './templates.js';
export type { MailTemplate } from './mail-templates.service.js';

/** The built-in template keys; callers may also name a template staff created. */
export type MailTemplateKey =
  | 'license.issued'
  | 'license.expiring'
  | 'license.expired'
  | 'license.renewed'
  | 'license.cancelled'
  | 'trial.started'
  | 'trial.ending'
  | 'release.published'
  | 'password.set'
  | 'password.reset'
  | 'staff.alert'
  | (string & {});

export interface SendMail {
  template: MailTemplateKey;
  /** One address or several. Non-essential mail to several addresses becomes one mail per address (each with its own unsubscribe link). */
  to: string | string[];
  /** Template variables (see each template's `sample` in templates.ts, or `sampleData` in the API). */
  data: Record<string, unknown>;
  /** `essential` always goes; the others honour the recipient's preferences. */
  category: MailCategory;
  customerId?: string | null;
  userId?: string | null;
  /**
   * At most one mail ever per key (a unique column): a second send with the same key returns the first
   * mail with `created: false`, e.g. `reminder:<license>:<term>:<offset>`. With several recipients of a
   * non-essential mail each per-address mail is keyed `<key>:<address>`.
   */
  dedupeKey?: string;
  /**
   * One-time secrets that appear in `data` (a password link's token). The template never sees them: it
   * renders placeholders, the secrets are sealed beside the mail, and only delivery puts them in. So no
   * staff view of the outbox, and no edited template (printing a value reversed, encoded or split), can
   * reveal one; a template that mangles the placeholder only breaks its own link.
   */
  secrets?: string[];
}

export interface SendResult {
  /** The (first) outbox mail. */
  id: string;
  /** False when the dedupe key had been used before (nothing new was recorded). */
  created: boolean;
  /** True when every recipient opted out of this category (the mail is recorded with status `suppressed`). */
  suppressed?: boolean;
  /** Every outbox mail of this send (one per address for non-essential mail to several addresses). */
  mails: Array<{ id: string; to: string[]; status: MailStatus; created: boolean }>;
}

export interface OutboxFilter {
  status?: MailStatus;
  to?: string;
  template?: string;
  customerId?: string;
  limit: number;
  cursor?: string;
}

export interface MailDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  templates: MailTemplatesService;
  preferences: MailPreferencesService;
  delivery: MailDelivery;
  publicUrl: string;
  /** The From address; its domain names the Message-IDs. */
  mailFrom: string;
}

function normalizeRecipients(to: string | string[]): string[] {
  const list = (Array.isArray(to) ? to : [to]).map((a) => a.trim().toLowerCase()).filter(Boolean);
  const unique = [...new Set(list)];
  if (unique.length === 0) throw new AppError('VALIDATION_FAILED', 'A mail needs at least one recipient', { fields: { to: 'is empty' } });
  const bad = unique.find((a) => !isMailAddress(a));
  if (bad) throw new AppError('VALIDATION_FAILED', `Not an e-mail address: ${bad}`, { fields: { to: 'must be e-mail addresses' } });
  return unique;
}

function domainOf(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

/**
 * E-mail: the outbox and delivery. Templates are MailTemplatesService's, opt-outs MailPreferencesService's.
 *
 * `send` renders the template at once and records the mail in the caller's transaction together with a
 * `mail.send` job, so "the change and its mail" commit together and a later template edit does not change
 * a queued mail. The job claims the outbox row (`queued → sending`, conditional), hands it to SMTP with a
 * stable Message-ID (`<mail id@from-domain>`) and marks it sent. Without SMTP settings mail is `held`.
 */
export class MailService {
  private readonly messageDomain: string;

  constructor(private readonly deps: MailDeps) {
    this.messageDomain = domainOf(deps.mailFrom);
  }
  /** Whether this process can deliver mail (SMTP_URL is set). */
  get smtpConfigured(): boolean {
    return this.deps.delivery.smtpConfigured;
  }

  // ---------------------------------------------------------------------------------------------------
  // Sending

  /**
   * Records a mail (rendered now) and queues its delivery, inside `executor` (pass your transaction).
   * Recipients who opted out of a non-essential category are left out; when nobody is left, the mail is
   * recorded as `suppressed`. Never sends anything itself: delivery is the job's, after commit.
   */
  async send(executor: Executor, spec: SendMail): Promise<SendResult> {
    const recipients = normalizeRecipients(spec.to);
    const category = spec.category;
    if (!['essential', ...OPTIONAL_CATEGORIES].includes(category)) {
      throw new AppError('VALIDATION_FAILED', `Unknown mail category ${category}`, { fields: { category: 'is unknown' } });
    }
    const essential = category === 'essential';
    // Non-essential mail: one mail per address, each with its own unsubscribe link and preference check.
    const groups = essential || recipients.length === 1 ? [recipients] : recipients.map((r) => [r]);
    const optedOut = essential ? new Set<string>() : await this.deps.preferences.optedOut(executor, recipients, category as OptionalCategory);
    const template = await this.deps.templates.load(executor, spec.template);
    const mails: SendResult['mails'] = [];
    for (const group of groups) {
      const dedupeKey = spec.dedupeKey === undefined ? null : groups.length > 1 ? `${spec.dedupeKey}:${group[0]}` : spec.dedupeKey;
      mails.push(await this.record(executor, spec, template, group, optedOut, dedupeKey));
    }
    const first = mails[0]!;
    return { id: first.id, created: first.created, ...(mails.every((m) => m.status === 'suppressed') ? { suppressed: true } : {}), mails };
  }

  private async record(
    executor: Executor,
    spec: SendMail,
    template: LoadedTemplate,
    group: string[],
    optedOut: Set<string>,
    dedupeKey: string | null,
  ): Promise<SendResult['mails'][number]> {
    if (dedupeKey !== null) {
      const existing = await findOutboxIdByDedupeKey(executor, dedupeKey);
      if (existing) return { id: existing.id, to: group, status: existing.status as MailStatus, created: false };
    }
    const to = group.filter((a) => !optedOut.has(a));
    const suppressed = group.filter((a) => optedOut.has(a));
    const status: MailStatus = to.length === 0 ? 'suppressed' : this.smtpConfigured ? 'queued' : 'held';
    const id = newId('mail');
    const unsubscribeUrl = spec.category !== 'essential' && group.length === 1 ? this.deps.preferences.unsubscribeUrl(group[0]!, spec.category as OptionalCategory) : '';
    // One-time secrets become placeholders before the template sees the data (see SendMail.secrets).
    const secrets = (spec.secrets ?? []).filter((secret) => secret.length > 0).map((secret) => [`khsecret_${randomBytes(12).toString('hex')}`, secret] as [string, string]);
    const variables = {
      publicUrl: this.deps.publicUrl,
      signInUrl: `${this.deps.publicUrl}/sign-in`,
      ...(withPlaceholders(spec.data, secrets) as Record<string, unknown>),
      recipient: group[0]!,
      unsubscribeUrl,
      category: spec.category,
    };
    const rendered = await this.deps.templates.render(template, variables);
    const headers: Record<string, string> = {};
    if (unsubscribeUrl) {
      headers['List-Unsubscribe'] = `<${unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    const now = this.deps.clock.now().toISOString();
    const row: MailOutboxTable = {
      id,
      template: spec.template,
      to_addresses: (to.length > 0 ? to : group).join(', '),
      suppressed_to: suppressed.length > 0 ? suppressed.join(', ') : null,
      subject: rendered.subject,
      headers: JSON.stringify(headers),
      category: spec.category,
      status,
      attempts: 0,
      last_error: status === 'suppressed' ? 'Every recipient opted out of this category' : status === 'held' ? 'No SMTP server is configured (SMTP_URL)' : null,
      message_id: `<${id}@${this.messageDomain}>`,
      dedupe_key: dedupeKey,
      customer_id: spec.customerId ?? null,
      user_id: spec.userId ?? null,
      next_attempt_at: now,
      sending_until: null,
      created_at: now,
      updated_at: now,
      sent_at: null,
    };
    if (dedupeKey === null) {
      await executor.insertInto('mail_outbox').values(row).execute();
    } else {
      // Two concurrent sends with one key: the unique column lets exactly one in.
      const result = await executor
        .insertInto('mail_outbox')
        .values(row)
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
        const existing = (await findOutboxIdByDedupeKey(executor, dedupeKey))!;
        return { id: existing.id, to: group, status: existing.status as MailStatus, created: false };
      }
    }
    await executor
      .insertInto('mail_bodies')
      .values({
        mail_id: id,
        text_ciphertext: this.deps.keyring.encrypt(bodyPurpose(id, 'text'), rendered.text),
        html_ciphertext: this.deps.keyring.encrypt(bodyPurpose(id, 'html'), rendered.html),
        secrets_ciphertext: secrets.length > 0 ? this.deps.keyring.encrypt(secretsPurpose(id), JSON.stringify(secrets)) : null,
      })
      .execute();
    if (status === 'queued') await this.deps.delivery.enqueue(executor);
    return { id, to: to.length > 0 ? to : group, status, created: true };
  }

  // ---------------------------------------------------------------------------------------------------
  // Outbox

  async getMail(id: string): Promise<OutboxMail> {
    const row = await findOutboxRow(this.deps.db, id);
    if (!row) throw notFound('Mail', id);
    return toOutboxMail(row, this.deps.keyring, { redact: true });
  }

  /** Newest first. Bodies are shown with one-time tokens redacted. */
  async listMail(filter: OutboxFilter): Promise<Page<OutboxMail>> {
    let query = selectOutbox(this.deps.db).orderBy('mail_outbox.id', 'desc').limit(filter.limit + 1);
    if (filter.status) query = query.where('mail_outbox.status', '=', filter.status);
    if (filter.template) query = query.where('mail_outbox.template', '=', filter.template);
    if (filter.customerId) query = query.where('mail_outbox.customer_id', '=', filter.customerId);
    if (filter.to) {
      const address = filter.to.trim().toLowerCase();
      // The exact address within the ", "-joined list.
      const pattern = `%, ${escapeLike(address)}, %`;
      query = query.where(sql<boolean>`(', ' || to_addresses || ', ') like ${pattern} escape '\\'`);
    }
    if (filter.cursor) query = query.where('mail_outbox.id', '<', filter.cursor);
    const rows = await query.execute();
    return page(
      rows.map((row) => toOutboxMail(row, this.deps.keyring, { redact: true })),
      filter.limit,
    );
  }

  /** Puts a failed mail back in the queue with a fresh delivery job; audited. */
  async retryMail(ctx: RequestContext, id: string): Promise<OutboxMail> {
    const before = await this.getMail(id);
    if (before.status !== 'failed') throw new AppError('CONFLICT', `Only a failed mail can be retried; this one is ${before.status}`);
    if (!this.smtpConfigured) throw new AppError('SMTP_NOT_CONFIGURED', 'No SMTP server is configured (SMTP_URL); the mail would only be held');
    const now = this.deps.clock.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('mail_outbox')
        .set({ status: 'queued', attempts: 0, next_attempt_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new AppError('CONFLICT', 'The mail changed meanwhile; reload it');
      await this.deps.delivery.enqueue(trx);
      await this.deps.events.record(trx, ctx, { action: 'mail.retried', targetType: 'mail', targetId: id, customerId: before.customerId, before: { status: before.status, lastError: before.lastError } });
    });
    return this.getMail(id);
  }

  /**
   * Releases mail held while no SMTP server was configured: `held → queued`, each with a delivery job.
   * Deliberately an explicit operation rather than automatic at start: held mail may be old (a reminder
   * from last month), so staff look at the outbox first. `ids` limits it to some mails.
   */
  async sendHeldMail(ctx: RequestContext, ids?: string[]): Promise<{ released: number }> {
    if (!this.smtpConfigured) throw new AppError('SMTP_NOT_CONFIGURED', 'No SMTP server is configured (SMTP_URL); set it and restart, then release held mail');
    let released = 0;
    for (;;) {
      let query = this.deps.db.selectFrom('mail_outbox').select('id').where('status', '=', 'held').orderBy('id').limit(500);
      if (ids) query = query.where('id', 'in', ids.length > 0 ? ids : ['']);
      const batch = (await query.execute()).map((r) => r.id);
      if (batch.length === 0) break;
      const now = this.deps.clock.now().toISOString();
      await this.deps.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('mail_outbox')
          .set({ status: 'queued', last_error: null, next_attempt_at: now, updated_at: now })
          .where('id', 'in', batch)
          .where('status', '=', 'held')
          .returning('id')
          .execute();
        // One job delivers the whole released batch (a run takes all due mail).
        if (updated.length > 0) await this.deps.delivery.enqueue(trx);
        released += updated.length;
        await this.deps.events.record(trx, ctx, { action: 'mail.held_released', targetType: 'mail', targetId: batch[0]!, after: { count: updated.length } });
      });
    }
    return { released };
  }
}

/** `data` with every occurrence of each secret in its strings replaced by the secret's placeholder. */
function withPlaceholders(value: unknown, secrets: [placeholder: string, secret: string][]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return secrets.reduce((out, [placeholder, secret]) => out.split(secret).join(placeholder), value);
  if (Array.isArray(value)) return value.map((item) => withPlaceholders(item, secrets));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(v, secrets)]));
  }
  return value;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
