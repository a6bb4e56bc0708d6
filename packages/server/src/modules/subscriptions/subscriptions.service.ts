import type { Db, Executor } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { isStaff, SYSTEM_ACTOR } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';
import type { MailService } from '../mail/mail.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import { formatPrice, licenseMailData } from '../licenses/license-mail.js';
import { graceEndsAt, licenseStatus } from '../licenses/license-status.js';
import type { License, LicensesService } from '../licenses/licenses.service.js';
import { toCsv } from '../../lib/csv.js';
import { rulesOf, type Subscription } from '../policies/subscription.js';
import { cancellationDeadline, firstTermEnd, firstTermPrice, nextTermEnd } from '../policies/subscription-terms.js';
import {
  findRenewalByReference,
  insertRenewal,
  countRenewalsCreditedTo,
  listRenewalRows,
  type Renewal,
  type RenewalFilter,
  type RenewalSource,
} from './subscriptions.repository.js';

export type { Renewal, RenewalFilter, RenewalSource } from './subscriptions.repository.js';

/** Subscriptions are renewed this long before their term ends, so access never lapses between sweeps. */
export const RENEWAL_LEAD_MS = 3_600_000;
/** The renewal sweep's schedule: every ten minutes. */
export const RENEWAL_SWEEP_CRON = '*/10 * * * *';

export interface CancelInput {
  /** Staff only: cancel although the notice period has passed. */
  override?: boolean;
  /** Staff only: `billing` when the billing system cancelled (its own rules apply; no notice check). */
  source?: 'manual' | 'billing';
}

export interface RenewInput {
  /** Minor units; default: the subscription's price per term. */
  price?: number | null;
  currency?: string | null;
  /** Staff only; default manual. The sweep's renewals are `auto`. */
  source?: 'manual' | 'billing';
  /** The billing system's id for this renewal (e.g. an invoice id): a repeat with the same one changes nothing. */
  reference?: string;
  /** The new expiry as the billing system says (its period end); default: one term on. */
  expiresAt?: string;
}

export interface RenewResult {
  license: License;
  renewal: Renewal;
  /** False when `reference` had been used: nothing changed, the earlier renewal is returned. */
  created: boolean;
}

/**
 * The next term of a subscription whose current one ends at `from`. A manual renewal of a subscription that
 * ended past its grace period (`restartWhenLapsed`) starts a new term from now instead, aligned as a
 * purchase would be; the sweep always continues the schedule (a late sweep does not move anniversaries).
 */
function nextTerm(subscription: Subscription, from: Date, graceEnd: Date | null, now: Date, price: number | null, restartWhenLapsed: boolean) {
  const rules = rulesOf(subscription);
  const lapsed = restartWhenLapsed && (graceEnd ?? from).getTime() <= now.getTime();
  if (!lapsed) {
    return { expiresAt: nextTermEnd(rules, from, subscription.anchorAt ? new Date(subscription.anchorAt) : null), termStartsAt: from, anchorAt: subscription.anchorAt, price };
  }
  // Ended past its grace period: a new term starts now, aligned as a purchase would be.
  const end = firstTermEnd(rules, now);
  return { expiresAt: end, termStartsAt: now, anchorAt: now.toISOString(), price: firstTermPrice(rules, price, now, end) };
}

export interface SubscriptionsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  licenses: LicensesService;
  products: ProductsService;
  customers: CustomersService;
  mail: MailService;
}

/**
 * Subscription operations on licenses: cancel (auto-renewal off, access until the term ends; inside the
 * cancellation notice period only with a staff override), resume, renew (manual, from billing, or by the
 * sweep at term end) and the renewals report. Every renewal is one row in `renewals`, unique per license
 * and term, written in the transaction that moves the expiry.
 */
export class SubscriptionsService {
  constructor(private readonly deps: SubscriptionsDeps) {}

  /** The renewal sweep job, on its schedule. */
  wiring(): ModuleWiring {
    return { jobs: [{ type: 'subscriptions.renew', payload: SlotPayload, run: async () => void (await this.sweep()), cron: RENEWAL_SWEEP_CRON }] };
  }

  /** The product and customer a license mail names, read before a transaction opens. */
  private async mailRefs(license: License): Promise<{ product: Product; customer: Customer | null }> {
    const system = { actor: SYSTEM_ACTOR };
    const product = await this.deps.products.get(system, license.productId);
    const customer = license.customerId ? await this.deps.customers.get(system, license.customerId) : null;
    return { product, customer };
  }

  private async sendLicenseMail(executor: Executor, template: string, license: License, refs: { product: Product; customer: Customer | null }, dedupeKey: string, extra: Record<string, unknown> = {}) {
    if (!refs.customer) return;
    await this.deps.mail.send(executor, {
      template,
      to: refs.customer.email,
      data: { ...licenseMailData(license, refs.product, refs.customer), ...extra },
      category: 'essential',
      customerId: refs.customer.id,
      dedupeKey,
    });
  }

  private async subscriptionLicense(ctx: RequestContext, id: string): Promise<License & { subscription: NonNullable<License['subscription']> }> {
    const license = await this.deps.licenses.get(ctx, id);
    if (!license.subscription) throw new AppError('NOT_A_SUBSCRIPTION', 'The license is not a subscription');
    return license as License & { subscription: NonNullable<License['subscription']> };
  }

  /**
   * Turns auto-renewal off; the license stays valid until its term ends. Refused with 422
   * CANCELLATION_PERIOD_PASSED once fewer than the notice days remain before the term ends (the message
   * names the date the notice was due), unless staff pass `override`. Cancelling twice changes nothing.
   */
  async cancel(ctx: RequestContext, id: string, input: CancelInput = {}): Promise<License> {
    if ((input.override || input.source === 'billing') && !isStaff(ctx.actor)) {
      throw new AppError('FORBIDDEN', 'Only staff can override the cancellation period');
    }
    const current = await this.subscriptionLicense(ctx, id);
    const refs = await this.mailRefs(current);
    const now = this.deps.clock.now();
    return this.deps.licenses.applyChange(
      ctx,
      id,
      'subscription.cancelled',
      (license) => {
        const sub = license.subscription;
        if (!sub) throw new AppError('NOT_A_SUBSCRIPTION', 'The license is not a subscription');
        if (license.revokedAt) throw new AppError('INVALID_TRANSITION', 'Not possible: the license is revoked');
        if (sub.cancelledAt !== null) return null;
        const deadline = license.expiresAt === null ? null : cancellationDeadline(new Date(license.expiresAt), sub.cancellationNoticeDays);
        const late = sub.autoRenew && deadline !== null && now.getTime() > deadline.getTime();
        if (late && !input.override && input.source !== 'billing') {
          const day = deadline!.toISOString().slice(0, 10);
          throw new AppError(
            'CANCELLATION_PERIOD_PASSED',
            `Too late to cancel this term: the subscription requires ${sub.cancellationNoticeDays} days' notice, so the cancellation was due by ${day}; it renews on ${license.expiresAt!.slice(0, 10)}. Cancel after that renewal to end it at the following term, or ask staff to override.`,
            { noticeDueBy: deadline!.toISOString(), termEndsAt: license.expiresAt, cancellationNoticeDays: sub.cancellationNoticeDays },
          );
        }
        return { ...license, subscription: { ...sub, autoRenew: false, cancelledAt: now.toISOString() } };
      },
      { right: 'subscriptions:cancel', also: (trx, after) => this.sendLicenseMail(trx, 'license.cancelled', after, refs, `cancelled:${id}:${now.toISOString()}`) },
    );
  }

  /** Turns auto-renewal back on (undoes a cancellation) while the subscription has not ended. */
  async resume(ctx: RequestContext, id: string): Promise<License> {
    await this.subscriptionLicense(ctx, id);
    return this.deps.licenses.applyChange(ctx, id, 'subscription.resumed', (license) => {
      const sub = license.subscription!;
      if (license.revokedAt) throw new AppError('INVALID_TRANSITION', 'Not possible: the license is revoked');
      if (sub.autoRenew && sub.cancelledAt === null) return null;
      if (license.status === 'expired') throw new AppError('INVALID_TRANSITION', 'Not possible: the subscription has ended; renew it instead');
      return { ...license, subscription: { ...sub, autoRenew: true, cancelledAt: null } };
    }, { right: 'subscriptions:cancel' });
  }

  /**
   * Renews one term now: from the current expiry (also within the grace period), or, once the subscription
   * has ended past its grace period, a new term from now. Records the renewal with its price (for billing
   * reports) and mails the customer. With `reference` (a billing system's invoice id) a repeat is a no-op.
   */
  async renew(ctx: RequestContext, id: string, input: RenewInput = {}): Promise<RenewResult> {
    if (input.source === 'billing' && !isStaff(ctx.actor)) throw new AppError('FORBIDDEN', 'Only staff and integrations renew from billing');
    const current = await this.subscriptionLicense(ctx, id);
    if (input.reference) {
      const existing = await findRenewalByReference(this.deps.db, id, input.reference);
      if (existing) return { license: current, renewal: existing, created: false };
    }
    const refs = await this.mailRefs(current);
    const now = this.deps.clock.now();
    let renewal: Renewal | undefined;
    try {
      const license = await this.deps.licenses.applyChange(
        ctx,
        id,
        'subscription.renewed',
        (license) => {
          const sub = license.subscription!;
          if (license.revokedAt) throw new AppError('INVALID_TRANSITION', 'Not possible: a revoked license cannot be renewed');
          if (license.expiresAt === null) throw new AppError('NOT_RENEWABLE', 'The first term has not started yet (it starts at the first activation)');
          const price = input.price !== undefined ? input.price : sub.price;
          const currency = input.currency !== undefined ? (input.currency?.toUpperCase() ?? null) : sub.currency;
          const next = nextTerm(sub, new Date(license.expiresAt), license.graceEndsAt ? new Date(license.graceEndsAt) : null, now, price, true);
          const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : next.expiresAt.toISOString();
          if (expiresAt <= license.expiresAt) {
            throw new AppError('VALIDATION_FAILED', 'The new expiry must be later than the current one', { fields: { expiresAt: 'must be later than the current expiry' } });
          }
          renewal = {
            id: newId('ren'),
            licenseId: id,
            customerId: license.customerId,
            productId: license.productId,
            fromExpiry: license.expiresAt,
            toExpiry: expiresAt,
            price: next.price,
            currency: next.price === null ? null : currency,
            source: input.source ?? 'manual',
            reference: input.reference ?? null,
            actor: { type: ctx.actor.type, id: ctx.actor.id },
            at: now.toISOString(),
          };
          return { ...license, expiresAt, subscription: { ...sub, termStartsAt: next.termStartsAt.toISOString(), anchorAt: next.anchorAt } };
        },
        {
          right: 'licenses:extend',
          also: async (trx, after) => {
            await insertRenewal(trx, renewal!);
            await this.sendLicenseMail(trx, 'license.renewed', after, refs, `renewed:${id}:${after.expiresAt}`, {
              renewal: { price: formatPrice(renewal!.price, renewal!.currency), currency: renewal!.currency },
            });
          },
        },
      );
      return { license, renewal: renewal!, created: true };
    } catch (error) {
      // The same billing reference arriving twice at once: the second insert loses; answer with the first.
      if (input.reference && isUniqueViolation(error)) {
        const existing = await findRenewalByReference(this.deps.db, id, input.reference);
        if (existing) return { license: await this.deps.licenses.get(ctx, id), renewal: existing, created: false };
      }
      throw error;
    }
  }

  /** `renewLicense` for any license: subscriptions renew here (recorded), others add a policy term. */
  async renewLicense(ctx: RequestContext, id: string): Promise<License> {
    const license = await this.deps.licenses.get(ctx, id);
    if (license.subscription) return (await this.renew(ctx, id)).license;
    return this.deps.licenses.renew(ctx, id);
  }

  /**
   * The renewal sweep (scheduled every ten minutes): renews every subscription Keyhaven renews whose term
   * ends within RENEWAL_LEAD_MS, once per term. Each renewal is its own transaction: a conditional UPDATE
   * on the expiry the sweep read, the `renewals` row (unique per license and term), the audit event and
   * the customer's mail. Two workers sweeping at once renew each term once. Returns how many it renewed.
   */
  async sweep(): Promise<number> {
    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + RENEWAL_LEAD_MS).toISOString();
    const products = new Map<string, Product>();
    let renewed = 0;
    let after: { expiresAt: string; id: string } | undefined;
    for (;;) {
      const due = await this.deps.licenses.dueRenewals(until, after, 200);
      if (due.length === 0) break;
      for (const item of due) {
        if (await this.renewDue(item, products, now)) renewed++;
      }
      const last = due[due.length - 1]!;
      after = { expiresAt: last.expiresAt, id: last.id };
    }
    return renewed;
  }

  private async renewDue(item: { id: string; expiresAt: string; customerId: string | null; productId: string }, products: Map<string, Product>, now: Date): Promise<boolean> {
    const ctx: RequestContext = { actor: SYSTEM_ACTOR };
    let product = products.get(item.productId);
    if (!product) products.set(item.productId, (product = await this.deps.products.get(ctx, item.productId)));
    const customer = item.customerId ? await this.deps.customers.get(ctx, item.customerId) : null;
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const before = await this.deps.licenses.getWith(trx, item.id, now);
        if (!before || before.expiresAt !== item.expiresAt) return false;
        const sub = before.subscription;
        if (!sub || !sub.autoRenew || sub.renewedBy !== 'keyhaven' || before.revokedAt || before.suspendedAt) return false;
        const next = nextTerm(sub, new Date(item.expiresAt), before.graceEndsAt ? new Date(before.graceEndsAt) : null, now, sub.price, false);
        const expiresAt = next.expiresAt.toISOString();
        const grace = graceEndsAt(expiresAt, before.graceDays);
        const moved = await this.deps.licenses.advanceTerm(trx, item.id, item.expiresAt, { expiresAt, graceEndsAt: grace, termStartsAt: next.termStartsAt.toISOString(), updatedAt: now.toISOString() });
        if (!moved) return false;
        const after: License = {
          ...before,
          expiresAt,
          graceEndsAt: grace,
          updatedAt: now.toISOString(),
          subscription: { ...sub, termStartsAt: next.termStartsAt.toISOString(), renewsAt: expiresAt },
        };
        after.status = licenseStatus(after, now);
        const renewal: Renewal = {
          id: newId('ren'),
          licenseId: item.id,
          customerId: before.customerId,
          productId: before.productId,
          fromExpiry: item.expiresAt,
          toExpiry: expiresAt,
          price: next.price,
          currency: next.price === null ? null : sub.currency,
          source: 'auto',
          reference: null,
          actor: { type: SYSTEM_ACTOR.type, id: null },
          at: now.toISOString(),
        };
        await insertRenewal(trx, renewal);
        await this.deps.events.record(trx, ctx, { action: 'subscription.renewed', targetType: 'license', targetId: item.id, customerId: before.customerId, before, after });
        await this.sendLicenseMail(trx, 'license.renewed', after, { product: product!, customer }, `renewed:${item.id}:${expiresAt}`, {
          renewal: { price: formatPrice(renewal.price, renewal.currency), currency: renewal.currency },
        });
        return true;
      });
    } catch (error) {
      // The term was renewed by someone else between the read and the insert.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Renewals in [from, to) of the licenses credited to a partner (the partner activity report). */
  async renewalsCreditedTo(ctx: RequestContext, q: { partnerId: string; from: string; to: string }): Promise<{ renewals: number; amounts: Array<{ currency: string; amount: number }> }> {
    return countRenewalsCreditedTo(this.deps.db, ctx.actor, q);
  }

  async listRenewals(ctx: RequestContext, filter: RenewalFilter): Promise<Page<Renewal>> {
    return page(await listRenewalRows(this.deps.db, ctx.actor, filter), filter.limit);
  }

  /**
   * The renewals of a filter as CSV (for ERP and revenue reports): one line per renewal, oldest first,
   * prices in major units with their currency. At most `max` rows (the answer says when it was cut).
   */
  async exportRenewals(ctx: RequestContext, filter: Omit<RenewalFilter, 'limit' | 'cursor'>, max = 100_000): Promise<{ csv: string; truncated: boolean }> {
    const rows: Renewal[] = [];
    let cursor: string | undefined;
    let truncated = false;
    for (;;) {
      const batch = await listRenewalRows(this.deps.db, ctx.actor, { ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
      const pageRows = batch.slice(0, 1000);
      rows.push(...pageRows);
      if (batch.length <= 1000) break;
      if (rows.length >= max) {
        truncated = true;
        break;
      }
      cursor = pageRows[pageRows.length - 1]!.id;
    }
    if (rows.length > max) truncated = true;
    const lines = [['renewal_id', 'at', 'license_id', 'customer_id', 'product_id', 'from_expiry', 'to_expiry', 'amount', 'currency', 'source', 'reference']];
    for (const r of rows.slice(0, max).reverse()) {
      lines.push([r.id, r.at, r.licenseId, r.customerId ?? '', r.productId, r.fromExpiry, r.toExpiry, formatPrice(r.price, r.currency) ?? '', r.currency ?? '', r.source, r.reference ?? '']);
    }
    return { csv: toCsv(lines), truncated };
  }
}
