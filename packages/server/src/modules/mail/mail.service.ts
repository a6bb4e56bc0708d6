import Type from 'typebox';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db, Dialect, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { MailOutboxTable } from './mail.tables.js';
import type { Keyring } from '../../crypto/keyring.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { JobQueue } from '../jobs/jobs.service.js';
import { RetryLater, type JobContext } from '../jobs/worker.js';
import type { ModuleWiring } from '../../wiring.js';
import {
  bodyPurpose,
  findOutboxIdByDedupeKey,
  findOutboxRow,
  findPreferenceRows,
  revealSecrets,
  secretsPurpose,
  selectOutbox,
  type OutboxRowWithBody,
  findTemplateRow,
  toOutboxMail,
  toPreferences,
  upsertPreferences,
  type MailPreferences,
  type MailStatus,
  type OutboxMail,
} from './mail.repository.js';
import {
  DEFAULT_TEMPLATES,
  OPTIONAL_CATEGORIES,
  TEMPLATE_KEY_PATTERN,
  type DefaultTemplate,
  parseTemplate,
  renderTemplate,
  type MailCategory,
  type OptionalCategory,
  type ParsedTemplate,
  type TemplateBody,
} from './templates.js';
import { TemplateRenderPool, type RenderLimits } from './render-pool.js';

export type { MailPreferences, OutboxMail, MailStatus } from './mail.repository.js';
export type { MailCategory } from './templates.js';

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

export interface MailTemplate extends TemplateBody {
  key: string;
  description: string;
  /** The category it is normally sent in. */
  category: MailCategory;
  /** True when staff changed it (stored in the database); reset brings the default back. */
  customized: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  /** Variables used by the sample preview. */
  sampleData: Record<string, unknown>;
}

export interface OutboxFilter {
  status?: MailStatus;
  to?: string;
  template?: string;
  customerId?: string;
  limit: number;
  cursor?: string;
}

export interface MailOptions {
  dialect: Dialect;
  publicUrl: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Pooled SMTP connections per process (default 5). */
  maxConnections?: number;
  /** Limits of rendering staff-edited templates (time, output size, threads); see render-pool.ts. */
  renderLimits?: Partial<RenderLimits>;
}

/** Attempts of one mail job before the mail is marked failed (with backoff ≤ 30 min: about a day). */
export const MAIL_MAX_ATTEMPTS = 60;
/** How long a `sending` claim holds before another run may take the mail (its sender died). */
export const SENDING_LEASE_MS = 120_000;
/** Mails claimed and handed to SMTP at once by one job run. */
export const MAIL_BATCH = 50;
/** Batches per job run before it hands over to a fresh job. */
const MAX_BATCHES_PER_RUN = 40;

/** Delay before the next delivery attempt after `attempt` failed ones: 15 s doubling, at most 30 min. */
export function mailBackoffMs(attempt: number): number {
  return Math.min(30 * 60_000, 15_000 * 2 ** Math.max(0, attempt - 1));
}

/** An SMTP answer that retrying cannot change (5xx), except authentication, which an operator can fix. */
export function isPermanentSmtpError(error: unknown): boolean {
  const e = error as { responseCode?: unknown; code?: unknown };
  if (e.code === 'EAUTH' || e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || e.code === 'EDNS') return false;
  return typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
}

const ADDRESS = /^[^\s@<>(),;:"\\]+@[^\s@<>(),;:"\\]+\.[^\s@<>(),;:"\\]+$|^[^\s@<>(),;:"\\]+@localhost$/;

function normalizeRecipients(to: string | string[]): string[] {
  const list = (Array.isArray(to) ? to : [to]).map((a) => a.trim().toLowerCase()).filter(Boolean);
  const unique = [...new Set(list)];
  if (unique.length === 0) throw new AppError('VALIDATION_FAILED', 'A mail needs at least one recipient', { fields: { to: 'is empty' } });
  const bad = unique.find((a) => !ADDRESS.test(a) || a.length > 254);
  if (bad) throw new AppError('VALIDATION_FAILED', `Not an e-mail address: ${bad}`, { fields: { to: 'must be e-mail addresses' } });
  return unique;
}

function domainOf(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

/**
 * E-mail: templates (built-in defaults, staff edits in `mail_templates`), the outbox and delivery.
 *
 * `send` renders the template at once and records the mail in the caller's transaction together with a
 * `mail.send` job, so "the change and its mail" commit together and a later template edit does not change
 * a queued mail. The job claims the outbox row (`queued → sending`, conditional), hands it to SMTP with a
 * stable Message-ID (`<mail id@from-domain>`) and marks it sent. Without SMTP settings mail is `held`.
 */
export class MailService {
  private transport: Transporter | undefined;
  private readonly parsed = new Map<string, { stamp: string; template: ParsedTemplate }>();
  /** Staff-edited templates are untrusted code: they render in worker threads with hard limits. */
  private readonly renderer: TemplateRenderPool;
  /** Template key → the version (updated_at) of a staff edit that failed to render: later mail skips it. */
  private readonly brokenEdits = new Map<string, string>();
  private readonly messageDomain: string;
  /** Every template that can be sent: the built-in ones plus those other modules register. */
  private readonly templates = new Map<string, DefaultTemplate>(Object.entries(DEFAULT_TEMPLATES));

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    private readonly events: EventsService,
    private readonly jobs: JobQueue,
    private readonly options: MailOptions,
  ) {
    this.messageDomain = domainOf(options.mailFrom);
    this.dialect = options.dialect;
    this.renderer = new TemplateRenderPool(options.renderLimits);
  }
  private readonly dialect: Dialect;
  /** Moves on when a delivery run starts here; part of the coalescing job key (see `enqueue`). */
  private generation = 0;

  /** Whether this process can deliver mail (SMTP_URL is set). */
  get smtpConfigured(): boolean {
    return this.options.smtpUrl !== undefined;
  }

  /**
   * Adds a template another module sends (e.g. an order confirmation), with its default content and
   * sample data. Staff can then edit, preview and reset it like the built-in ones. Call at wiring time.
   */
  registerTemplate(key: string, template: DefaultTemplate): void {
    if (!new RegExp(TEMPLATE_KEY_PATTERN).test(key)) throw new Error(`Mail template key ${key} must look like "area.event"`);
    if (this.templates.has(key)) throw new Error(`Mail template ${key} is registered twice`);
    parseTemplate(template); // a broken default is a programming error: fail at start-up
    this.templates.set(key, template);
  }

  /** Whether `key` names a template that can be sent (built-in or registered; staff edits override these keys). */
  hasTemplate(key: string): boolean {
    return this.templates.has(key);
  }

  /**
   * The addresses among `addresses` (lower-cased) that turned `category` off, in one query: for callers
   * that show a recipient list before sending. `send` applies the same check again when it records.
   */
  async optedOut(executor: Executor, addresses: string[], category: OptionalCategory): Promise<Set<string>> {
    const list = [...new Set(addresses.map((a) => a.trim().toLowerCase()))];
    const out = new Set<string>();
    for (let i = 0; i < list.length; i += 500) {
      for (const row of await findPreferenceRows(executor, list.slice(i, i + 500))) if (!row[category]) out.add(row.email);
    }
    return out;
  }

  /**
   * The `mail.send` job: one mail (`{ mailId }`), or every due mail (`{}`, or a scheduled `{ slot }`). Its every-minute schedule is the safety
   * net: due mail whose job gave up (SMTP down for long) or whose sender died is sent by it, so queued mail
   * is never left behind.
   */
  wiring(): ModuleWiring {
    return {
      jobs: [
        {
          type: 'mail.send',
          payload: Type.Object({ mailId: Type.Optional(Type.String()), slot: Type.Optional(Type.String()) }),
          run: (payload, context) => this.deliver(payload, context),
          backoffMs: mailBackoffMs,
          leaseMs: SENDING_LEASE_MS,
          cron: '* * * * *',
        },
      ],
    };
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
    const optedOut = new Set<string>();
    if (!essential) {
      for (const row of await findPreferenceRows(executor, recipients)) {
        if (!row[category as OptionalCategory]) optedOut.add(row.email);
      }
    }
    const template = await this.loadParsed(executor, spec.template);
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
    template: { key: string; builtIn: ParsedTemplate; edited: (TemplateBody & { stamp: string }) | undefined },
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
    const unsubscribeUrl = spec.category !== 'essential' && group.length === 1 ? this.unsubscribeUrl(group[0]!, spec.category as OptionalCategory) : '';
    // One-time secrets become placeholders before the template sees the data (see SendMail.secrets).
    const secrets = (spec.secrets ?? []).filter((secret) => secret.length > 0).map((secret) => [`khsecret_${randomBytes(12).toString('hex')}`, secret] as [string, string]);
    const variables = {
      publicUrl: this.options.publicUrl,
      signInUrl: `${this.options.publicUrl}/sign-in`,
      ...(withPlaceholders(spec.data, secrets) as Record<string, unknown>),
      recipient: group[0]!,
      unsubscribeUrl,
      category: spec.category,
    };
    let rendered: TemplateBody | undefined;
    if (template.edited) {
      // A staff-edited template that cannot render (an error, past its limits) must not lose the mail: use the built-in default.
      // A version that failed once is not tried again (each try of a runaway template costs the time limit).
      const { stamp } = template.edited;
      rendered = await this.renderer.render(template.edited, variables).catch(() => {
        this.brokenEdits.set(template.key, stamp);
        return undefined;
      });
    }
    rendered ??= await renderTemplate(template.builtIn, variables);
    const headers: Record<string, string> = {};
    if (unsubscribeUrl) {
      headers['List-Unsubscribe'] = `<${unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    const now = this.clock.now().toISOString();
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
        text_ciphertext: this.keyring.encrypt(bodyPurpose(id, 'text'), rendered.text),
        html_ciphertext: this.keyring.encrypt(bodyPurpose(id, 'html'), rendered.html),
        secrets_ciphertext: secrets.length > 0 ? this.keyring.encrypt(secretsPurpose(id), JSON.stringify(secrets)) : null,
      })
      .execute();
    if (status === 'queued') await this.enqueue(executor);
    return { id, to: to.length > 0 ? to : group, status, created: true };
  }

  /**
   * Queues delivery in the caller's transaction. Jobs are coalesced: every mail recorded within the same
   * second (per database connection on PostgreSQL, so concurrent transactions never wait on each other's
   * key) shares one `mail.send` job, keyed `mail.send:<second>:<generation>[:<backend pid>]`, which sends
   * all due mail when it runs. The generation moves on whenever a delivery run starts in this process,
   * so mail recorded after a run began gets a job of its own. A mail whose shared job had already made
   * its last claim before the mail's transaction committed is sent by the per-minute sweep.
   */
  private async enqueue(executor: Executor): Promise<void> {
    let key = `mail.send:${Math.floor(this.clock.now().getTime() / 1000)}:${this.generation}`;
    if (this.dialect === 'postgres') {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(executor);
      key += `:${rows[0]!.pid}`;
    }
    await this.jobs.enqueue(executor, { type: 'mail.send', payload: {}, uniqueKey: key, maxAttempts: MAIL_MAX_ATTEMPTS });
  }


  /**
   * The built-in template (parsed once, trusted, rendered in-process) and the staff edit that overrides
   * it, if any (untrusted: rendered by the worker pool, with the built-in one as fallback).
   */
  private async loadParsed(executor: Executor, key: string): Promise<{ key: string; builtIn: ParsedTemplate; edited: (TemplateBody & { stamp: string }) | undefined }> {
    const builtIn = this.templates.get(key);
    if (!builtIn) throw new Error(`No mail template ${key}: register it with MailService.registerTemplate`);
    const row = await findTemplateRow(executor, key);
    const stamp = row ? toIso(row.updated_at) : '';
    const edited = row && this.brokenEdits.get(key) !== stamp ? { subject: row.subject, text: row.text, html: row.html, stamp } : undefined;
    return { key, builtIn: this.cachedParse(`default:${key}`, 'default', builtIn), edited };
  }

  private cachedParse(cacheKey: string, stamp: string, body: TemplateBody): ParsedTemplate {
    const hit = this.parsed.get(cacheKey);
    if (hit && hit.stamp === stamp) return hit.template;
    const template = parseTemplate(body);
    this.parsed.set(cacheKey, { stamp, template });
    return template;
  }

  // ---------------------------------------------------------------------------------------------------
  // Delivery (the mail.send job)

  private getTransport(): Transporter {
    if (!this.transport) {
      this.transport = nodemailer.createTransport({
        url: this.options.smtpUrl,
        pool: true,
        maxConnections: this.options.maxConnections ?? 5,
        maxMessages: 1000,
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 60_000,
      } as Parameters<typeof nodemailer.createTransport>[0]);
    }
    return this.transport;
  }

  /** Closes pooled SMTP connections (on app close). */
  close(): void {
    void this.renderer.close();
    this.transport?.close();
    this.transport = undefined;
  }

  /**
   * A `mail.send` run: delivers all due mail (first the mail its payload names, if any), in batches of up
   * to MAIL_BATCH, until none is left. A batch is claimed with one conditional UPDATE (`queued` and due, or `sending`
   * whose sender's claim lapsed → `sending`; `FOR UPDATE SKIP LOCKED` on PostgreSQL), so a second run of a
   * job, or a second worker, never sends a mail that was sent. The batch goes to the pooled SMTP transport
   * at once, and the outcomes are written in one transaction.
   *
   * The one window for a duplicate: a crash after the SMTP server accepted a message and before its row
   * is marked sent; after SENDING_LEASE_MS another run sends it again with the same Message-ID, which
   * receivers may use to drop the copy.
   */
  private async deliver(payload: { mailId?: unknown }, context: JobContext): Promise<void> {
    this.generation++;
    const own = typeof payload?.mailId === 'string' ? payload.mailId : undefined;
    if (!this.smtpConfigured) {
      // A worker without SMTP settings keeps the mail for later (send-held) instead of failing it.
      const nowIso = this.clock.now().toISOString();
      let query = this.db.updateTable('mail_outbox').set({ status: 'held', last_error: 'No SMTP server is configured (SMTP_URL)', updated_at: nowIso }).where('status', '=', 'queued');
      query = own ? query.where('id', '=', own) : query.where('next_attempt_at', '<=', nowIso);
      await query.execute();
      return;
    }
    let retryInMs: number | undefined;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      if (context.signal.aborted) return;
      const claimed = await this.claimBatch(batch === 0 ? own : undefined);
      if (claimed.length === 0) return this.finish(retryInMs);
      const outcome = await this.sendBatch(claimed);
      if (outcome.retryInMs !== undefined) retryInMs = Math.min(retryInMs ?? Infinity, outcome.retryInMs);
      // The server is unreachable: stop here rather than claiming (and failing) more mail.
      if (outcome.connectionDown) return this.finish(retryInMs);
    }
    // More mail than one run should take: a fresh job goes on with it.
    await this.jobs.enqueue(this.db, { type: 'mail.send', payload: {}, maxAttempts: MAIL_MAX_ATTEMPTS });
    this.finish(retryInMs);
  }

  /** Mail that failed for now makes the job run again when the first of it is due. */
  private finish(retryInMs: number | undefined): void {
    if (retryInMs !== undefined) throw new RetryLater('Some mail could not be sent yet; retrying', retryInMs);
  }

  private async claimBatch(own: string | undefined): Promise<OutboxRowWithBody[]> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + SENDING_LEASE_MS).toISOString();
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const claimable = sql`((status = 'queued' and next_attempt_at <= ${nowIso}) or (status = 'sending' and sending_until <= ${nowIso}))`;
    const ownClause = own ? sql`id = ${own} or ` : sql``;
    const result = await sql<{ id: string }>`
      update mail_outbox
         set status = 'sending', attempts = attempts + 1, sending_until = ${until}, updated_at = ${nowIso}
       where (${ownClause}id in (
               select id from mail_outbox
                where ${claimable}
                order by next_attempt_at, id
                limit ${MAIL_BATCH}
                ${lock}))
         and ${claimable}
      returning id`.execute(this.db);
    const ids = result.rows.map((r) => r.id);
    if (ids.length === 0) return [];
    return selectOutbox(this.db).where('mail_outbox.id', 'in', ids).orderBy('mail_outbox.id').execute();
  }

  private async sendBatch(rows: OutboxRowWithBody[]): Promise<{ retryInMs?: number; connectionDown: boolean }> {
    const transport = this.getTransport();
    const results = await Promise.all(
      rows.map(async (row) => {
        const stored = toOutboxMail(row, this.keyring, { redact: false });
        // The only place a mail's one-time secrets are decrypted: on their way to the recipient.
        const mail = { ...stored, ...revealSecrets({ mail_id: row.id, secrets_ciphertext: row.secrets_ciphertext }, this.keyring, stored) };
        try {
          const info = await transport.sendMail({
            from: this.options.mailFrom,
            to: mail.to,
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
            messageId: mail.messageId,
            headers: mail.headers,
          });
          return { mail, rejected: ((info as { rejected?: unknown[] }).rejected ?? []).map(String) };
        } catch (error) {
          return { mail, error };
        }
      }),
    );
    const nowIso = this.clock.now().toISOString();
    let retryInMs: number | undefined;
    let connectionDown = false;
    await this.db.transaction().execute(async (trx) => {
      for (const result of results) {
        const { mail } = result;
        const update = trx.updateTable('mail_outbox').where('id', '=', mail.id).where('status', '=', 'sending');
        if (!('error' in result)) {
          await update
            .set({ status: 'sent', sent_at: nowIso, updated_at: nowIso, sending_until: null, last_error: result.rejected.length > 0 ? `Rejected recipients: ${result.rejected.join(', ')}` : null })
            .execute();
          continue;
        }
        const e = result.error as { message?: string; responseCode?: number; code?: string; response?: string };
        const message = `${e.code ? `${e.code}: ` : ''}${e.response ?? e.message ?? String(result.error)}`.slice(0, 2000);
        if (typeof e.responseCode !== 'number') connectionDown = true;
        if (isPermanentSmtpError(result.error)) {
          await update.set({ status: 'failed', sending_until: null, updated_at: nowIso, last_error: message }).execute();
        } else if (mail.attempts >= MAIL_MAX_ATTEMPTS) {
          await update.set({ status: 'failed', sending_until: null, updated_at: nowIso, last_error: `Gave up after ${mail.attempts} attempts: ${message}` }).execute();
        } else {
          // Not sent: queued again, due after a backoff that grows with the mail's attempts.
          const delay = mailBackoffMs(mail.attempts);
          retryInMs = Math.min(retryInMs ?? Infinity, delay);
          await update
            .set({ status: 'queued', sending_until: null, updated_at: nowIso, last_error: message, next_attempt_at: new Date(this.clock.now().getTime() + delay).toISOString() })
            .execute();
        }
      }
    });
    return { retryInMs, connectionDown };
  }

  // ---------------------------------------------------------------------------------------------------
  // Outbox

  async getMail(id: string): Promise<OutboxMail> {
    const row = await findOutboxRow(this.db, id);
    if (!row) throw notFound('Mail', id);
    return toOutboxMail(row, this.keyring, { redact: true });
  }

  /** Newest first. Bodies are shown with one-time tokens redacted. */
  async listMail(filter: OutboxFilter): Promise<Page<OutboxMail>> {
    let query = selectOutbox(this.db).orderBy('mail_outbox.id', 'desc').limit(filter.limit + 1);
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
      rows.map((row) => toOutboxMail(row, this.keyring, { redact: true })),
      filter.limit,
    );
  }

  /** Puts a failed mail back in the queue with a fresh delivery job; audited. */
  async retryMail(ctx: RequestContext, id: string): Promise<OutboxMail> {
    const before = await this.getMail(id);
    if (before.status !== 'failed') throw new AppError('CONFLICT', `Only a failed mail can be retried; this one is ${before.status}`);
    if (!this.smtpConfigured) throw new AppError('SMTP_NOT_CONFIGURED', 'No SMTP server is configured (SMTP_URL); the mail would only be held');
    const now = this.clock.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('mail_outbox')
        .set({ status: 'queued', attempts: 0, next_attempt_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new AppError('CONFLICT', 'The mail changed meanwhile; reload it');
      await this.enqueue(trx);
      await this.events.record(trx, ctx, { action: 'mail.retried', targetType: 'mail', targetId: id, customerId: before.customerId, before: { status: before.status, lastError: before.lastError } });
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
      let query = this.db.selectFrom('mail_outbox').select('id').where('status', '=', 'held').orderBy('id').limit(500);
      if (ids) query = query.where('id', 'in', ids.length > 0 ? ids : ['']);
      const batch = (await query.execute()).map((r) => r.id);
      if (batch.length === 0) break;
      const now = this.clock.now().toISOString();
      await this.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('mail_outbox')
          .set({ status: 'queued', last_error: null, next_attempt_at: now, updated_at: now })
          .where('id', 'in', batch)
          .where('status', '=', 'held')
          .returning('id')
          .execute();
        // One job delivers the whole released batch (a run takes all due mail).
        if (updated.length > 0) await this.enqueue(trx);
        released += updated.length;
        await this.events.record(trx, ctx, { action: 'mail.held_released', targetType: 'mail', targetId: batch[0]!, after: { count: updated.length } });
      });
    }
    return { released };
  }

  // ---------------------------------------------------------------------------------------------------
  // Templates

  async listTemplates(): Promise<MailTemplate[]> {
    const rows = await this.db.selectFrom('mail_templates').selectAll().execute();
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return [...this.templates.keys()].sort().map((key) => this.toTemplate(key, byKey.get(key)));
  }

  async getTemplate(key: string): Promise<MailTemplate> {
    if (!this.templates.has(key)) throw notFound('Mail template', key);
    return this.toTemplate(key, await findTemplateRow(this.db, key));
  }

  private toTemplate(key: string, row: Awaited<ReturnType<typeof findTemplateRow>>): MailTemplate {
    const builtIn = this.templates.get(key)!;
    const body = row ?? builtIn;
    return {
      key,
      subject: body.subject,
      text: body.text,
      html: body.html,
      description: builtIn.description,
      category: builtIn.category,
      customized: row !== undefined,
      updatedBy: row?.updated_by ?? null,
      updatedAt: row ? toIso(row.updated_at) : null,
      sampleData: builtIn.sample,
    };
  }

  /**
   * Stores a staff edit. The template must parse and render with the sample data; otherwise 400
   * TEMPLATE_INVALID with the part, line and column. Mail already recorded keeps its rendered content.
   */
  async updateTemplate(ctx: RequestContext, key: string, body: TemplateBody): Promise<MailTemplate> {
    if (!this.templates.has(key)) throw notFound('Mail template', key);
    await this.renderer.render(body, this.previewVariables(key, undefined));
    const before = await findTemplateRow(this.db, key);
    const now = this.clock.now().toISOString();
    const row = { key, subject: body.subject, text: body.text, html: body.html, updated_by: ctx.actor.label, updated_at: now };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('mail_templates')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ subject: row.subject, text: row.text, html: row.html, updated_by: row.updated_by, updated_at: row.updated_at }))
        .execute();
      await this.events.record(trx, ctx, {
        action: 'mail_template.updated',
        targetType: 'mail_template',
        targetId: key,
        before: before ? { subject: before.subject } : null,
        after: { subject: body.subject },
      });
    });
    return this.getTemplate(key);
  }

  /** Back to the default content (a no-op when it was not changed). */
  async resetTemplate(ctx: RequestContext, key: string): Promise<MailTemplate> {
    if (!this.templates.has(key)) throw notFound('Mail template', key);
    const before = await findTemplateRow(this.db, key);
    if (before) {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('mail_templates').where('key', '=', key).execute();
        await this.events.record(trx, ctx, { action: 'mail_template.reset', targetType: 'mail_template', targetId: key, before: { subject: before.subject } });
      });
    }
    return this.getTemplate(key);
  }

  /** Renders the stored template, or the given (unsaved) one, with the sample data or the given data. Nothing is sent. */
  async previewTemplate(key: string, input: { subject?: string; text?: string; html?: string; data?: Record<string, unknown>; to?: string }): Promise<TemplateBody> {
    const current = await this.getTemplate(key);
    const body: TemplateBody = {
      subject: input.subject ?? current.subject,
      text: input.text ?? current.text,
      html: input.html ?? current.html,
    };
    return this.renderer.render(body, this.previewVariables(key, input.data, input.to));
  }

  private previewVariables(key: string, data: Record<string, unknown> | undefined, to = 'recipient@example.com'): Record<string, unknown> {
    const builtIn = this.templates.get(key);
    const category = builtIn?.category ?? 'essential';
    return {
      publicUrl: this.options.publicUrl,
      signInUrl: `${this.options.publicUrl}/sign-in`,
      ...(data ?? builtIn?.sample ?? {}),
      recipient: to,
      unsubscribeUrl: category === 'essential' ? '' : this.unsubscribeUrl(to, category as OptionalCategory),
      category,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Preferences and unsubscribe

  /** The signed-in user's own address; API tokens have none (403). */
  private ownAddress(ctx: RequestContext): string {
    // For user sessions the actor's label is the user's e-mail (see AuthService.fromSession).
    if (ctx.actor.type !== 'user' || !ctx.actor.label.includes('@')) {
      throw new AppError('FORBIDDEN', 'Mail preferences belong to a signed-in user; staff tokens use /v1/mail-preferences/{email}');
    }
    return ctx.actor.label.toLowerCase();
  }

  /** The signed-in user's preferences. */
  async getOwnPreferences(ctx: RequestContext): Promise<MailPreferences> {
    return this.getPreferences(this.ownAddress(ctx));
  }

  async updateOwnPreferences(ctx: RequestContext, patch: Partial<Record<OptionalCategory, boolean>>): Promise<MailPreferences> {
    return this.setPreferences(ctx, this.ownAddress(ctx), patch);
  }

  /** Any address's preferences (staff): users, customers' contact addresses, staff alert lists. */
  async getPreferences(email: string): Promise<MailPreferences> {
    const address = this.address(email);
    const [row] = await findPreferenceRows(this.db, [address]);
    return toPreferences(address, row);
  }

  async updatePreferences(ctx: RequestContext, email: string, patch: Partial<Record<OptionalCategory, boolean>>): Promise<MailPreferences> {
    return this.setPreferences(ctx, this.address(email), patch);
  }

  /** A path segment that is not an address names no preferences: 404. */
  private address(email: string): string {
    const address = email.trim().toLowerCase();
    if (!ADDRESS.test(address) || address.length > 254) throw notFound('Mail preferences of', email);
    return address;
  }

  private async setPreferences(ctx: RequestContext, address: string, patch: Partial<Record<OptionalCategory, boolean>>): Promise<MailPreferences> {
    const [current] = await findPreferenceRows(this.db, [address]);
    const before = toPreferences(address, current);
    const next = { ...before, ...patch };
    const now = this.clock.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await upsertPreferences(trx, {
        email: address,
        reminders: next.reminders ? 1 : 0,
        announcements: next.announcements ? 1 : 0,
        alerts: next.alerts ? 1 : 0,
        updated_by: ctx.actor.label,
        updated_at: now,
      });
      await this.events.record(trx, ctx, {
        action: 'mail_preferences.updated',
        targetType: 'mail_preferences',
        targetId: address,
        before: { reminders: before.reminders, announcements: before.announcements, alerts: before.alerts },
        after: { reminders: next.reminders, announcements: next.announcements, alerts: next.alerts },
      });
    });
    return { ...next, updatedAt: now };
  }

  private unsubscribeSignature(email: string, category: OptionalCategory): string {
    return this.keyring.digest('mail-unsubscribe', `${email}\n${category}`).slice(0, 40);
  }

  /**
   * The signed one-click link in non-essential mail: `<address>\n<category>` (base64url) and its HMAC.
   * No expiry: an unsubscribe link must keep working.
   */
  unsubscribeUrl(email: string, category: OptionalCategory): string {
    const address = email.trim().toLowerCase();
    const token = `${Buffer.from(`${address}\n${category}`).toString('base64url')}.${this.unsubscribeSignature(address, category)}`;
    return `${this.options.publicUrl}/v1/mail/unsubscribe/${token}`;
  }

  /** Follows an unsubscribe link: checks the HMAC, then turns the category off for that address. 404 for a forged link. */
  async unsubscribe(ctx: RequestContext, token: string): Promise<MailPreferences & { category: OptionalCategory }> {
    const invalid = () => new AppError('NOT_FOUND', 'This unsubscribe link is not valid');
    const [payload, signature] = token.split('.');
    if (!payload || !signature || token.split('.').length !== 2) throw invalid();
    const [address, category] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
    if (!address || !(OPTIONAL_CATEGORIES as readonly string[]).includes(category ?? '')) throw invalid();
    const optional = category as OptionalCategory;
    const expected = Buffer.from(this.unsubscribeSignature(address, optional));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    const [current] = await findPreferenceRows(this.db, [address]);
    if (current && !current[optional]) return { ...toPreferences(address, current), category: optional };
    return { ...(await this.setPreferences(ctx, address, { [optional]: false })), category: optional };
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
