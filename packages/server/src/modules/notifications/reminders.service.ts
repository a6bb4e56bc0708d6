import Type from 'typebox';
import type { Db } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { DAY_MS, type Clock } from '../../lib/clock.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { JobQueue } from '../jobs/jobs.service.js';
import type { JobContext } from '../jobs/worker.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';
import type { MailService } from '../mail/mail.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import type { SettingsService } from '../settings/settings.service.js';
import { licenseMailData } from '../licenses/license-mail.js';
import type { ExpiringLicense, ExpiryWindow, License, LicensesService } from '../licenses/licenses.service.js';
import { claimReminder, listRemindersSent, reminderKey, remindersSentFor, setReminderMail } from './reminders.repository.js';

/** Expired notices go out for licenses that expired within this long (older ones were before this server, or are stale). */
export const EXPIRED_NOTICE_LOOKBACK_MS = 7 * DAY_MS;
/** The reminder sweep runs hourly, at five past. */
export const REMINDER_SWEEP_CRON = '5 * * * *';
/** Licenses read per page by the sweep (each page's jobs are enqueued in one transaction). */
const PAGE = 1000;
/** Reminders per `reminders.send` job: one transaction (one commit) sends them all. */
export const REMINDER_BATCH = 100;

/** One reminder to send: the license, the term (its expiry when the sweep saw it) and the offset (0: expired notice). */
export interface ReminderJob {
  licenseId: string;
  expiresAt: string;
  offset: number;
}

export interface SweepResult {
  /** Reminders enqueued (in `reminders.send` jobs of up to REMINDER_BATCH each). */
  reminders: number;
  /** Expired notices enqueued. */
  expired: number;
  /** Jobs enqueued. */
  jobs: number;
}

export interface RemindersDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  jobs: JobQueue;
  licenses: LicensesService;
  products: ProductsService;
  customers: CustomersService;
  mail: MailService;
  settings: SettingsService;
}

/**
 * Customer reminders before expiry and the expired notice, each exactly once per license, term and offset.
 *
 * The hourly sweep walks one expiry window per offset: a license expiring in (now + previous offset, now +
 * offset] is due for that offset's reminder, so each license gets the reminder of the nearest offset it has
 * reached (after an outage it does not get the ones it missed in a burst). A reminder is only due when the
 * term started before it (a 5-day trial gets no "expires in 5 days" mail at its start). The due reminders
 * without a `reminders_sent` row go into `reminders.send` jobs of up to REMINDER_BATCH each; a job inserts
 * each reminder's row together with its mail and audit event, in one transaction that also ends the job.
 * Several workers, retries, restarts and a sweep that runs again before the jobs did cannot send twice:
 * the row's primary key (license, expiry, offset) lets exactly one insert in, and only that one mails
 * (the mail's dedupe key is the same triple, a second guard).
 *
 * The offsets (`reminderDays`) and `remindAutoRenewing` are read from SettingsService at every sweep and
 * job, so a change staff make applies at the next one, in every process.
 */
export class RemindersService {
  constructor(private readonly deps: RemindersDeps) {}

  /** The hourly sweep and the send jobs it enqueues. */
  wiring(): ModuleWiring {
    return {
      jobs: [
        {
          type: 'reminders.send',
          payload: Type.Object({ reminders: Type.Array(Type.Object({ licenseId: Type.String(), expiresAt: Type.String(), offset: Type.Number() })) }),
          run: (payload: { reminders: ReminderJob[] }, context) => this.send(payload.reminders, context),
        },
        { type: 'reminders.sweep', payload: SlotPayload, run: async () => void (await this.sweep()), cron: REMINDER_SWEEP_CRON },
      ],
    };
  }

  /** Finds due reminders and expired notices and enqueues one job for each. */
  async sweep(): Promise<SweepResult> {
    const { reminderDays, remindAutoRenewing } = await this.deps.settings.current();
    const offsets = [...new Set(reminderDays)].filter((d) => d > 0).sort((a, b) => a - b);
    const now = this.deps.clock.now().getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    let reminders = 0;
    let jobs = 0;
    let lower = 0;
    for (const offset of offsets) {
      // Reminders go to customers only, and skip auto-renewing subscriptions unless told.
      const window: ExpiryWindow = { after: iso(now + lower * DAY_MS), until: iso(now + offset * DAY_MS), withCustomer: true, autoRenewing: remindAutoRenewing };
      // Due only if the term had started when the reminder's time came.
      const found = await this.enqueueWindow(window, offset, (c) => Date.parse(c.expiresAt) - offset * DAY_MS > Date.parse(c.startsAt));
      reminders += found.reminders;
      jobs += found.jobs;
      lower = offset;
    }
    const expired = await this.enqueueWindow(
      { after: iso(now - EXPIRED_NOTICE_LOOKBACK_MS), until: iso(now), withCustomer: false, autoRenewing: true },
      0,
      () => true,
    );
    return { reminders, expired: expired.reminders, jobs: jobs + expired.jobs };
  }

  /**
   * Enqueues the reminders of `offset` (0: the expired notice) for the licenses expiring inside `window`
   * that are `due` and not already sent for their term. Pages are keyset pages of PAGE licenses each;
   * the sent ones are left out of a page by one query on `reminders_sent` for its ids.
   */
  private async enqueueWindow(window: ExpiryWindow, offset: number, due: (c: ExpiringLicense) => boolean): Promise<{ reminders: number; jobs: number }> {
    let reminders = 0;
    let jobs = 0;
    let from: { expiresAt: string; id: string } | undefined;
    for (;;) {
      const page = await this.deps.licenses.expiring(window, from, PAGE);
      if (page.length === 0) break;
      const sent = await remindersSentFor(this.deps.db, page.map((c) => c.id), offset);
      const items = page
        .filter((c) => !sent.has(reminderKey(c.id, c.expiresAt)) && due(c))
        .map((c): ReminderJob => ({ licenseId: c.id, expiresAt: c.expiresAt, offset }));
      if (items.length > 0) {
        await this.deps.db.transaction().execute(async (trx) => {
          for (let i = 0; i < items.length; i += REMINDER_BATCH) {
            await this.deps.jobs.enqueue(trx, { type: 'reminders.send', payload: { reminders: items.slice(i, i + REMINDER_BATCH) }, maxAttempts: 10 });
            jobs++;
          }
        });
        reminders += items.length;
      }
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      from = { expiresAt: last.expiresAt, id: last.id };
    }
    return { reminders, jobs };
  }

  /**
   * Sends a batch of reminders (the `reminders.send` job). Re-checks each is still due (same term, not
   * revoked or suspended, still not auto-renewing), then in one transaction, per reminder: claims its
   * `reminders_sent` row and, only if this claim inserted it, records the audit event
   * (`license.expiring` / `license.expired`, which webhooks carry) and queues the mail; and ends the job.
   */
  async send(batch: ReminderJob[], context: JobContext): Promise<void> {
    const system: RequestContext = { actor: SYSTEM_ACTOR };
    const { remindAutoRenewing } = await this.deps.settings.current();
    const now = this.deps.clock.now();
    const products = new Map<string, Product>();
    const customers = new Map<string, Customer>();
    // Everything the mails need is read first: inside the transaction only `trx` may be used.
    const due: Array<{ job: ReminderJob; license: License; product: Product; customer: Customer | null }> = [];
    for (const job of batch) {
      let license: License;
      try {
        license = await this.deps.licenses.get(system, job.licenseId);
      } catch (error) {
        if (error instanceof AppError && error.code === 'NOT_FOUND') continue;
        throw error;
      }
      const expiry = Date.parse(job.expiresAt);
      if (license.expiresAt === null || Date.parse(license.expiresAt) !== expiry) continue; // renewed or changed meanwhile
      if (license.revokedAt !== null || license.suspendedAt !== null) continue;
      const expiredNotice = job.offset === 0;
      if (expiredNotice ? now.getTime() < expiry : now.getTime() >= expiry) continue;
      if (!expiredNotice && license.subscription?.autoRenew === true && !remindAutoRenewing) continue;
      if (!expiredNotice && !license.customerId) continue;
      let product = products.get(license.productId);
      if (!product) products.set(license.productId, (product = await this.deps.products.get(system, license.productId)));
      let customer: Customer | null = null;
      if (license.customerId) {
        customer = customers.get(license.customerId) ?? (await this.deps.customers.get(system, license.customerId));
        customers.set(customer.id, customer);
      }
      due.push({ job, license, product, customer });
    }
    await this.deps.db.transaction().execute(async (trx) => {
      for (const { job, license, product, customer } of due) {
        const claimed = await claimReminder(trx, { licenseId: license.id, expiresAt: job.expiresAt, offset: job.offset, at: now.toISOString() });
        if (!claimed) continue;
        const expiredNotice = job.offset === 0;
        const daysLeft = Math.max(1, Math.ceil((Date.parse(job.expiresAt) - now.getTime()) / DAY_MS));
        await this.deps.events.record(trx, system, {
          action: expiredNotice ? 'license.expired' : 'license.expiring',
          targetType: 'license',
          targetId: license.id,
          customerId: license.customerId,
          after: expiredNotice
            ? { expiresAt: license.expiresAt, graceEndsAt: license.graceEndsAt, status: license.status }
            : { expiresAt: license.expiresAt, daysLeft, reminderDays: job.offset, type: license.type },
        });
        if (!customer) continue;
        const data = licenseMailData(license, product, customer);
        const trial = license.type === 'trial';
        const sent = await this.deps.mail.send(trx, {
          template: expiredNotice ? 'license.expired' : trial ? 'trial.ending' : 'license.expiring',
          to: customer.email,
          data: expiredNotice
            ? { ...data, graceEndsAt: license.graceEndsAt !== null && license.graceEndsAt > license.expiresAt! ? license.graceEndsAt : null }
            : { ...data, daysLeft, ...(trial && product.url ? { buyUrl: product.url } : {}) },
          // The expired notice is about access the customer is losing: essential. Reminders honour preferences.
          category: expiredNotice ? 'essential' : 'reminders',
          customerId: customer.id,
          dedupeKey: `reminder:${license.id}:${job.expiresAt}:${job.offset}`,
        });
        await setReminderMail(trx, { licenseId: license.id, expiresAt: job.expiresAt, offset: job.offset, mailId: sent.id });
      }
      await context.complete(trx);
    });
  }

  /** The reminders a license was sent (staff tools, tests). */
  async sent(ctx: RequestContext, licenseId: string) {
    await this.deps.licenses.get(ctx, licenseId);
    return listRemindersSent(this.deps.db, licenseId);
  }
}
