import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import { toCsv } from '../../lib/csv.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { RequestContext } from '../events/events.service.js';
import { formatPrice } from '../licenses/license-mail.js';
import type { ActiveSubscriptionRow, CreditSource, LicensesService } from '../licenses/licenses.service.js';
import type { Partner, PartnersService } from '../partners/partners.service.js';
import type { ProductsService } from '../products/products.service.js';
import type { SubscriptionsService } from '../subscriptions/subscriptions.service.js';

export interface PartnerReportsDeps {
  db: Db;
  licenses: LicensesService;
  subscriptions: SubscriptionsService;
  partners: PartnersService;
  customers: CustomersService;
  products: ProductsService;
}

export interface ActiveSubscriptionLine {
  licenseId: string;
  customerId: string | null;
  customerName: string | null;
  productId: string;
  productCode: string;
  productName: string;
  policyId: string;
  type: string;
  /** How the partner is credited: it sold the license, or the vendor sold it to the partner's customer. */
  creditedAs: CreditSource;
  termMonths: number | null;
  termDays: number | null;
  termStartsAt: string | null;
  expiresAt: string | null;
  /** Price of a full term in minor units, and its currency; null when unknown. */
  price: number | null;
  currency: string | null;
  suspended: boolean;
}

export interface ActiveSubscriptionsReport {
  day: string;
  partners: Array<{ partnerId: string; partnerName: string; activeSubscriptions: number; licenses: ActiveSubscriptionLine[] }>;
}

export interface PartnerActivityReport {
  from: string;
  to: string;
  partners: Array<{ partnerId: string; partnerName: string; licensesCreated: number; trialsCreated: number; renewals: number; renewalAmounts: Array<{ currency: string; amount: number }> }>;
}

const DAY_MS = 86_400_000;
/** Names and labels are looked up this many ids at a time (one `in (…)` list each). */
const BATCH = 1000;
/**
 * Licenses are read this many at a time. The report holds every row it answers anyway, so a page only
 * bounds one query: large, because on PostgreSQL each page costs a bitmap scan of the partner's licenses
 * whatever its size (the planner cannot tell how few of them are active subscriptions), so 1,000-row pages
 * made a 27,000-row report take 27 such scans (`npm run bench -- --suite partners`).
 */
const READ_BATCH = 10_000;
const SOURCES: CreditSource[] = ['sold', 'customer'];

/** A calendar day (UTC) `YYYY-MM-DD` as its first instant; 400 for anything else (2026-02-30 included). */
function dayStart(day: string, field: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(day) ? new Date(`${day}T00:00:00.000Z`) : new Date(NaN);
  if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== day) {
    throw new AppError('VALIDATION_FAILED', `${field} must be a calendar day YYYY-MM-DD (UTC), got "${day}"`, { field });
  }
  return at;
}

/**
 * Partner reports for batch invoicing. A partner is credited with a license it sold (`soldBy`), or, when
 * the vendor sold it (`soldBy` null), with a license of a customer that belongs to the partner; a license
 * is credited to at most one partner. Staff see every partner (or one); a partner admin only its own
 * partner (another partner's id: 404). The module owns no table: it reads through the licenses,
 * subscriptions, partners, customers and products services, in keyset-paged batches.
 */
export class PartnerReportsService {
  constructor(private readonly deps: PartnerReportsDeps) {}

  /** The partners a report covers: the one asked for (within the actor's reach), or every one for staff. */
  private async partnersFor(ctx: RequestContext, partnerId: string | undefined): Promise<Partner[]> {
    const id = partnerId ?? ctx.actor.scope.partnerId;
    if (id !== undefined) return [await this.deps.partners.get(ctx, id)];
    const all: Partner[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.deps.partners.list(ctx, { limit: 100, ...(cursor ? { cursor } : {}) });
      all.push(...page.data);
      if (!page.nextCursor) return all.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      cursor = page.nextCursor;
    }
  }

  /**
   * Per partner, the subscription licenses credited to it that were active on `day` (UTC): the term had
   * started by the end of the day (for activation-aligned terms: the first activation), the current expiry
   * is after the day began (renewals only move it forward; the grace period does not count), and it was not
   * revoked before the day began. A suspended subscription still counts (it is still sold), flagged.
   */
  async activeSubscriptions(ctx: RequestContext, q: { day: string; partnerId?: string | undefined }): Promise<ActiveSubscriptionsReport> {
    const startAt = dayStart(q.day, 'day');
    const start = startAt.toISOString();
    const end = new Date(startAt.getTime() + DAY_MS).toISOString();
    const partners = await this.partnersFor(ctx, q.partnerId);
    const result: ActiveSubscriptionsReport = { day: q.day, partners: [] };
    for (const partner of partners) {
      const rows: Array<ActiveSubscriptionRow & { creditedAs: CreditSource }> = [];
      for (const source of SOURCES) {
        let after: ActiveSubscriptionRow | undefined;
        for (;;) {
          const batch = await this.deps.licenses.activeSubscriptionsOfPartner(ctx, { partnerId: partner.id, source, start, end, limit: READ_BATCH, after });
          for (const row of batch) if ((row.anchorAt ?? row.startsAt) < end) rows.push({ ...row, creditedAs: source });
          if (batch.length < READ_BATCH) break;
          after = batch[batch.length - 1]!;
        }
      }
      rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const customerNames = new Map<string, string>();
      const labels = new Map<string, { code: string; name: string }>();
      for (let i = 0; i < rows.length; i += BATCH) {
        const slice = rows.slice(i, i + BATCH);
        const names = await this.deps.customers.namesWith(this.deps.db, slice.flatMap((r) => (r.customerId ? [r.customerId] : [])));
        for (const [k, v] of names) customerNames.set(k, v);
        const missing = [...new Set(slice.map((r) => r.productId))].filter((p) => !labels.has(p));
        if (missing.length > 0) for (const [k, v] of await this.deps.products.labels(missing)) labels.set(k, v);
      }
      result.partners.push({
        partnerId: partner.id,
        partnerName: partner.name,
        activeSubscriptions: rows.length,
        licenses: rows.map((r) => ({
          licenseId: r.id,
          customerId: r.customerId,
          customerName: r.customerId ? (customerNames.get(r.customerId) ?? null) : null,
          productId: r.productId,
          productCode: labels.get(r.productId)?.code ?? '',
          productName: labels.get(r.productId)?.name ?? '',
          policyId: r.policyId,
          type: r.type,
          creditedAs: r.creditedAs,
          termMonths: r.termMonths,
          termDays: r.termDays,
          termStartsAt: r.termStartsAt,
          expiresAt: r.expiresAt,
          price: r.price,
          currency: r.currency,
          suspended: r.suspendedAt !== null,
        })),
      });
    }
    return result;
  }

  /** Per partner, the licenses (and trials) credited to it created, and their renewals made, from `from` through `to` (UTC days, both included). */
  async activity(ctx: RequestContext, q: { from: string; to: string; partnerId?: string | undefined }): Promise<PartnerActivityReport> {
    const fromAt = dayStart(q.from, 'from');
    const toAt = dayStart(q.to, 'to');
    if (toAt < fromAt) throw new AppError('VALIDATION_FAILED', `to (${q.to}) is before from (${q.from})`, { field: 'to' });
    const from = fromAt.toISOString();
    const to = new Date(toAt.getTime() + DAY_MS).toISOString();
    const partners = await this.partnersFor(ctx, q.partnerId);
    const result: PartnerActivityReport = { from: q.from, to: q.to, partners: [] };
    for (const partner of partners) {
      let licensesCreated = 0;
      let trialsCreated = 0;
      for (const source of SOURCES) {
        const created = await this.deps.licenses.countCreatedForPartner(ctx, { partnerId: partner.id, source, from, to });
        licensesCreated += created.licenses;
        trialsCreated += created.trials;
      }
      const renewed = await this.deps.subscriptions.renewalsCreditedTo(ctx, { partnerId: partner.id, from, to });
      result.partners.push({ partnerId: partner.id, partnerName: partner.name, licensesCreated, trialsCreated, renewals: renewed.renewals, renewalAmounts: renewed.amounts });
    }
    return result;
  }

  /** `activeSubscriptions` as CSV: one line per license (a partner without any has no line). */
  async activeSubscriptionsCsv(ctx: RequestContext, q: { day: string; partnerId?: string | undefined }): Promise<string> {
    const report = await this.activeSubscriptions(ctx, q);
    const lines = [['day', 'partner_id', 'partner_name', 'license_id', 'customer_id', 'customer_name', 'product_code', 'product_name', 'policy_id', 'type', 'credited_as', 'term', 'term_starts_at', 'expires_at', 'price', 'currency', 'suspended']];
    for (const p of report.partners) {
      for (const l of p.licenses) {
        const term = l.termMonths !== null ? `${l.termMonths} months` : l.termDays !== null ? `${l.termDays} days` : '';
        lines.push([report.day, p.partnerId, p.partnerName, l.licenseId, l.customerId ?? '', l.customerName ?? '', l.productCode, l.productName, l.policyId, l.type, l.creditedAs, term, l.termStartsAt ?? '', l.expiresAt ?? '', formatPrice(l.price, l.currency) ?? '', l.currency ?? '', l.suspended ? 'true' : 'false']);
      }
    }
    return toCsv(lines);
  }

  /** `activity` as CSV: one line per partner, renewal amounts in major units per currency ("EUR 120.00; USD 9.00"). */
  async activityCsv(ctx: RequestContext, q: { from: string; to: string; partnerId?: string | undefined }): Promise<string> {
    const report = await this.activity(ctx, q);
    const lines = [['from', 'to', 'partner_id', 'partner_name', 'licenses_created', 'trials_created', 'renewals', 'renewal_amounts']];
    for (const p of report.partners) {
      const amounts = p.renewalAmounts.map((a) => `${a.currency} ${formatPrice(a.amount, a.currency)}`).join('; ');
      lines.push([report.from, report.to, p.partnerId, p.partnerName, String(p.licensesCreated), String(p.trialsCreated), String(p.renewals), amounts]);
    }
    return toCsv(lines);
  }
}
