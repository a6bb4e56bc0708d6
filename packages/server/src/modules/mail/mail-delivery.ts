import Type from 'typebox';
import { sql } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db, Dialect, Executor } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { Clock } from '../../lib/clock.js';
import type { JobQueue } from '../jobs/jobs.service.js';
import { RetryLater, type JobContext } from '../jobs/worker.js';
import type { ModuleWiring } from '../../wiring.js';
import { revealSecrets, selectOutbox, toOutboxMail, type OutboxRowWithBody } from './mail.repository.js';

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

export interface MailDeliveryDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  keyring: Keyring;
  jobs: JobQueue;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Pooled SMTP connections per process (default 5). */
  maxConnections?: number;
}

/**
 * Delivery of the outbox (MailService records the mail): the coalesced `mail.send` job, which claims due
 * mail in batches, hands it to the pooled SMTP transport with its stable Message-ID, and records each
 * outcome (sent, queued again after a backoff, failed). Without SMTP settings mail is `held`.
 */
export class MailDelivery {
  private transport: Transporter | undefined;

  /** Moves on when a delivery run starts here; part of the coalescing job key (see `enqueue`). */
  private generation = 0;

  constructor(private readonly deps: MailDeliveryDeps) {}

  /** Whether this process can deliver mail (SMTP_URL is set). */
  get smtpConfigured(): boolean {
    return this.deps.smtpUrl !== undefined;
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

  /**
   * Queues delivery in the caller's transaction. Jobs are coalesced: every mail recorded within the same
   * second (per database connection on PostgreSQL, so concurrent transactions never wait on each other's
   * key) shares one `mail.send` job, keyed `mail.send:<second>:<generation>[:<backend pid>]`, which sends
   * all due mail when it runs. The generation moves on whenever a delivery run starts in this process,
   * so mail recorded after a run began gets a job of its own. A mail whose shared job had already made
   * its last claim before the mail's transaction committed is sent by the per-minute sweep.
   */
  async enqueue(executor: Executor): Promise<void> {
    let key = `mail.send:${Math.floor(this.deps.clock.now().getTime() / 1000)}:${this.generation}`;
    if (this.deps.dialect === 'postgres') {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(executor);
      key += `:${rows[0]!.pid}`;
    }
    await this.deps.jobs.enqueue(executor, { type: 'mail.send', payload: {}, uniqueKey: key, maxAttempts: MAIL_MAX_ATTEMPTS });
  }

  private getTransport(): Transporter {
    if (!this.transport) {
      this.transport = nodemailer.createTransport({
        url: this.deps.smtpUrl,
        pool: true,
        maxConnections: this.deps.maxConnections ?? 5,
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
      const nowIso = this.deps.clock.now().toISOString();
      let query = this.deps.db.updateTable('mail_outbox').set({ status: 'held', last_error: 'No SMTP server is configured (SMTP_URL)', updated_at: nowIso }).where('status', '=', 'queued');
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
    await this.deps.jobs.enqueue(this.deps.db, { type: 'mail.send', payload: {}, maxAttempts: MAIL_MAX_ATTEMPTS });
    this.finish(retryInMs);
  }

  /** Mail that failed for now makes the job run again when the first of it is due. */
  private finish(retryInMs: number | undefined): void {
    if (retryInMs !== undefined) throw new RetryLater('Some mail could not be sent yet; retrying', retryInMs);
  }

  private async claimBatch(own: string | undefined): Promise<OutboxRowWithBody[]> {
    const now = this.deps.clock.now();
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + SENDING_LEASE_MS).toISOString();
    const lock = this.deps.dialect === 'postgres' ? sql`for update skip locked` : sql``;
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
      returning id`.execute(this.deps.db);
    const ids = result.rows.map((r) => r.id);
    if (ids.length === 0) return [];
    return selectOutbox(this.deps.db).where('mail_outbox.id', 'in', ids).orderBy('mail_outbox.id').execute();
  }

  private async sendBatch(rows: OutboxRowWithBody[]): Promise<{ retryInMs?: number; connectionDown: boolean }> {
    const transport = this.getTransport();
    const results = await Promise.all(
      rows.map(async (row) => {
        const stored = toOutboxMail(row, this.deps.keyring, { redact: false });
        // The only place a mail's one-time secrets are decrypted: on their way to the recipient.
        const mail = { ...stored, ...revealSecrets({ mail_id: row.id, secrets_ciphertext: row.secrets_ciphertext }, this.deps.keyring, stored) };
        try {
          const info = await transport.sendMail({
            from: this.deps.mailFrom,
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
    const nowIso = this.deps.clock.now().toISOString();
    let retryInMs: number | undefined;
    let connectionDown = false;
    await this.deps.db.transaction().execute(async (trx) => {
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
            .set({ status: 'queued', sending_until: null, updated_at: nowIso, last_error: message, next_attempt_at: new Date(this.deps.clock.now().getTime() + delay).toISOString() })
            .execute();
        }
      }
    });
    return { retryInMs, connectionDown };
  }
}
