import { sql } from 'kysely';
import type { Db, Dialect, Trx } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { can } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { csvChunks, datedCsvName, EXPORT_PAGE, keysetPages, type CsvExport } from '../../lib/csv.js';
import { formatPrice } from '../../lib/money.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { License, LicensesService } from '../licenses/licenses.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { OnboardingService } from '../onboarding/onboarding.service.js';
import type { PoliciesService, Policy } from '../policies/policies.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import type { User } from '../users/users.service.js';
import { hashOf, normalize, seatsFor, type CreateOrderInput, type OrderItemInput } from './order-input.js';
import {
  findLicenseIdsBySubscription,
  findOrder,
  findOrderByExternalId,
  insertOrder,
  listOrders,
  type Order,
  type OrderBilling,
  type OrderFilter,
  type OrderSource,
  type StoredOrder,
} from './orders.repository.js';

export type { Order, OrderBilling, OrderFilter, OrderItem, OrderSource } from './orders.repository.js';
export { seatsFor, type CreateOrderInput, type OrderItemInput } from './order-input.js';

/** What integrations add to an order: the shop's own totals and subscription id. */
export interface IntegrationOrderInput extends CreateOrderInput {
  total?: number | null;
  currency?: string | null;
  subscriptionRef?: string | null;
}

/** A license in an order's answer; the key is there when the order was just created (or replayed by a caller who may reveal keys). */
export type OrderLicense = License & { key?: string };

export interface OrderResult {
  order: Order;
  licenses: OrderLicense[];
  /** False when the order already existed: the same order and licenses, nothing new issued or sent. */
  created: boolean;
}

/** An order checked and resolved outside any transaction, ready to be written by `createWith`. */
export interface PreparedOrder {
  source: OrderSource;
  externalId: string;
  requestHash: string;
  email: string;
  name: string | null;
  company: string | null;
  items: (Required<Omit<OrderItemInput, 'policyId'>> & { policy: Policy; product: Product })[];
  billing: OrderBilling;
  total: number | null;
  currency: string | null;
  subscriptionRef: string | null;
  sendEmail: boolean;
  metadata: Record<string, unknown>;
}

/** What `createWith` did inside the caller's transaction. */
export type OrderOutcome =
  | { created: true; order: StoredOrder; issued: { license: License; key: string }[] }
  | { created: false; order: StoredOrder };

/** Largest seat count an order line may produce (the same bound as a license's maxMachines). */
const MAX_SEATS = 1_000_000;

/** PostgreSQL advisory-lock class for "an order is being written for this e-mail" (the object is the e-mail's hash). */
const EMAIL_LOCK_CLASS = 0x4b48_0012;

function keyOf(order: Order): string {
  return `${order.source}:${order.externalId}`;
}

/** Drops what only the service needs (the request hash). */
/** The columns of `exportOrders`: the order's, then its line item's. */
const ORDER_CSV_HEADER = [
  'order_id', 'created_at', 'source', 'external_id', 'customer_id', 'customer_name', 'company', 'email',
  'line', 'product_id', 'product_code', 'policy_id', 'license_id', 'quantity', 'item_name', 'price', 'currency', 'order_total', 'order_currency',
  'payment_status', 'purchase_method', 'billing_reference', 'invoice_url', 'subscription_ref',
];

function publicOrder(order: StoredOrder): Order {
  const { requestHash: _h, ...rest } = order;
  return rest;
}

export interface OrdersDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  events: EventsService;
  products: ProductsService;
  policies: PoliciesService;
  licenses: LicensesService;
  mail: MailService;
  /** The buyer's customer, portal user and set-password link. */
  onboarding: OnboardingService;
}

/**
 * Purchases: an order turns into a customer (found by e-mail or created), a portal user, one license per
 * line and a confirmation mail, all in one transaction. Orders are idempotent by `(source, externalId)`:
 * a repeat returns the order already recorded and issues nothing; a repeat with different content is a
 * 409 ORDER_CONFLICT (an id reused for another purchase is a bug in the caller, not a replay).
 */
export class OrdersService {
  constructor(private readonly deps: OrdersDeps) {}

  async create(ctx: RequestContext, input: CreateOrderInput): Promise<OrderResult> {
    const existing = await findOrderByExternalId(this.deps.db, input.source ?? 'api', input.externalId);
    if (existing) return this.replay(ctx, existing, hashOf(normalize(input)));
    const prepared = await this.prepare(ctx, input);
    const outcome = await this.inTransaction((trx) => this.createWith(trx, ctx, prepared));
    return this.result(ctx, outcome, prepared.requestHash);
  }

  /**
   * Checks an order and reads what it refers to (policies and their products), before any transaction:
   * unknown policies are a 422 naming the line.
   */
  async prepare(ctx: RequestContext, input: IntegrationOrderInput): Promise<PreparedOrder> {
    const normalized = normalize(input);
    const items: PreparedOrder['items'] = [];
    const fields: Record<string, string> = {};
    for (const [i, item] of normalized.items.entries()) {
      let policy: Policy;
      try {
        policy = await this.deps.policies.get(ctx, item.policyId);
      } catch (error) {
        if (error instanceof AppError && error.code === 'NOT_FOUND') {
          fields[`items.${i}.policyId`] = `no policy ${item.policyId}`;
          continue;
        }
        throw error;
      }
      const product = await this.deps.products.get(ctx, policy.productId);
      const seats = seatsFor(policy, item.quantity);
      if (seats.maxMachines !== undefined && seats.maxMachines !== null && seats.maxMachines > MAX_SEATS) fields[`items.${i}.quantity`] = `gives more than ${MAX_SEATS} seats`;
      if (seats.maxUsers !== undefined && seats.maxUsers !== null && seats.maxUsers > MAX_SEATS) fields[`items.${i}.quantity`] = `gives more than ${MAX_SEATS} users`;
      items.push({ ...item, policy, product });
    }
    if (Object.keys(fields).length > 0) {
      const unknown = Object.values(fields).some((m) => m.startsWith('no policy'));
      throw new AppError(unknown ? 'REFERENCE_NOT_FOUND' : 'VALIDATION_FAILED', Object.entries(fields).map(([f, m]) => `${f}: ${m}`).join('; '), { fields });
    }
    const priced = items.every((i) => i.price !== null);
    const currencies = new Set(items.map((i) => i.currency).filter((c) => c !== null));
    return {
      source: normalized.source,
      externalId: normalized.externalId,
      requestHash: hashOf(normalized),
      email: normalized.customer.email,
      name: normalized.customer.name,
      company: normalized.customer.company,
      items,
      billing: normalized.billing,
      total: input.total !== undefined ? input.total : priced && currencies.size <= 1 ? items.reduce((sum, i) => sum + i.price!, 0) : null,
      currency: input.currency !== undefined && input.currency !== null ? input.currency.toUpperCase() : currencies.size === 1 ? [...currencies][0]! : null,
      subscriptionRef: input.subscriptionRef ?? null,
      sendEmail: input.sendEmail ?? true,
      metadata: normalized.metadata,
    };
  }

  /**
   * Writes a prepared order inside the caller's transaction (which may hold more: the Stripe adapter's
   * processed-event row). Only `trx` is used. If the order already exists, nothing is written and the
   * existing order is returned. Concurrent orders for one e-mail are serialized on PostgreSQL by an
   * advisory lock, so they find one customer and one portal user; a concurrent duplicate of the same order
   * waits on that lock and then finds the order, and one with another e-mail fails on the unique
   * `(source, external_id)` and is retried by `inTransaction`.
   */
  async createWith(trx: Trx, ctx: RequestContext, prepared: PreparedOrder): Promise<OrderOutcome> {
    if (this.deps.dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(${EMAIL_LOCK_CLASS}, hashtext(${prepared.email}))`.execute(trx);
    }
    const existing = await findOrderByExternalId(trx, prepared.source, prepared.externalId);
    if (existing) return { created: false, order: existing };

    const { customer, user } = await this.deps.onboarding.newcomer(trx, ctx, {
      email: prepared.email,
      name: prepared.name,
      newCustomer: {
        name: prepared.company ?? prepared.name ?? prepared.email,
        email: prepared.email,
        contacts: prepared.name ? [{ name: prepared.name, email: prepared.email, role: 'buyer' }] : [],
      },
      viaUserOrganization: true,
    });
    const orderId = newId('ord');
    const issued: { license: License; key: string }[] = [];
    for (const item of prepared.items) {
      const { policy, product } = item;
      issued.push(
        await this.deps.licenses.createWith(
          trx,
          ctx,
          {
            policyId: policy.id,
            customerId: customer.id,
            ...(item.name !== null ? { name: item.name } : {}),
            ...seatsFor(policy, item.quantity),
            // Bought as a shop subscription: the shop renews it (its invoices call renewSubscription), never Keyhaven's sweep.
            ...(prepared.subscriptionRef !== null && policy.kind === 'subscription'
              ? { subscription: { renewedBy: 'billing' as const, ...(item.price !== null ? { price: item.price, currency: item.currency ?? prepared.currency } : {}) } }
              : {}),
            billing: {
              invoiceLinks: prepared.billing.invoiceUrl ? [prepared.billing.invoiceUrl] : [],
              paymentStatus: prepared.billing.paymentStatus,
              purchaseMethod: prepared.billing.purchaseMethod,
              reference: prepared.billing.reference ?? prepared.externalId,
            },
            metadata: { orderId, orderSource: prepared.source, orderExternalId: prepared.externalId },
          },
          { policy, product, customer },
        ),
      );
    }
    const mailIds = prepared.sendEmail ? await this.confirm(trx, orderId, prepared, customer, user, issued) : [];
    const order: StoredOrder = {
      id: orderId,
      source: prepared.source,
      externalId: prepared.externalId,
      requestHash: prepared.requestHash,
      customerId: customer.id,
      userId: user?.id ?? null,
      email: prepared.email,
      customerName: prepared.name,
      company: prepared.company,
      items: prepared.items.map((item, i) => ({
        policyId: item.policy.id,
        productId: item.product.id,
        licenseId: issued[i]!.license.id,
        quantity: item.quantity,
        name: item.name,
        price: item.price,
        currency: item.currency,
      })),
      total: prepared.total,
      currency: prepared.currency,
      billing: prepared.billing,
      subscriptionRef: prepared.subscriptionRef,
      mailIds,
      metadata: prepared.metadata,
      createdAt: this.deps.clock.now().toISOString(),
    };
    await insertOrder(trx, order);
    await this.deps.events.record(trx, ctx, { action: 'order.created', targetType: 'order', targetId: order.id, customerId: customer.id, after: publicOrder(order) });
    return { created: true, order, issued };
  }

  /** The answer for an outcome, after its transaction committed. */
  async result(ctx: RequestContext, outcome: OrderOutcome, requestHash: string): Promise<OrderResult> {
    if (!outcome.created) return this.replay(ctx, outcome.order, requestHash);
    return {
      order: publicOrder(outcome.order),
      licenses: outcome.issued.map(({ license, key }) => ({ ...license, key })),
      created: true,
    };
  }

  /**
   * The answer to a repeated order: the order as recorded and its licenses as they are now. The keys are
   * included only for a caller who may reveal keys (and each reveal is audited as usual), so an order id
   * alone does not hand out keys. A repeat whose content differs is refused, except from shop
   * integrations, whose later events about one purchase legitimately differ (payment status, expansions).
   */
  async replay(ctx: RequestContext, order: StoredOrder, requestHash: string): Promise<OrderResult> {
    if (order.requestHash !== requestHash && order.source !== 'stripe') {
      throw new AppError('ORDER_CONFLICT', `Order ${keyOf(order)} was already recorded (as ${order.id}) with different content; use a new externalId for a new purchase`, {
        orderId: order.id,
      });
    }
    const reveal = can(ctx.actor, 'licenses:reveal');
    const licenses: OrderLicense[] = [];
    for (const item of order.items) {
      const license = await this.deps.licenses.get(ctx, item.licenseId);
      licenses.push(reveal ? { ...license, key: (await this.deps.licenses.revealKey(ctx, item.licenseId)).key } : license);
    }
    return { order: publicOrder(order), licenses, created: false };
  }

  async get(ctx: RequestContext, id: string): Promise<Order> {
    const order = await findOrder(this.deps.db, ctx.actor, id);
    if (!order) throw notFound('Order', id);
    return publicOrder(order);
  }

  async list(ctx: RequestContext, filter: OrderFilter): Promise<Page<Order>> {
    return page((await listOrders(this.deps.db, ctx.actor, filter)).map(publicOrder), filter.limit);
  }

  /**
   * The orders of a list filter (the list's scope and filters) as CSV for ERP import, streamed in keyset
   * pages of 1,000 orders, newest first: one line per line item (`line` counts from 1) repeating its
   * order's columns, prices in major units, product codes looked up once per page. No request hash,
   * mail ids or metadata.
   */
  exportCsv(ctx: RequestContext, filter: Omit<OrderFilter, 'limit' | 'cursor'>, pageSize = EXPORT_PAGE): CsvExport {
    const { db, clock, products } = this.deps;
    async function* pages(): AsyncGenerator<Array<{ order: Order; codes: Map<string, string> }>> {
      for await (const orders of keysetPages((p) => listOrders(db, ctx.actor, { ...filter, ...p }), pageSize)) {
        const codes = await products.codesByIds(db, orders.flatMap((o) => o.items.map((i) => i.productId)));
        yield orders.map((order) => ({ order: publicOrder(order), codes }));
      }
    }
    const chunks = csvChunks(ORDER_CSV_HEADER, pages(), ({ order: o, codes }) =>
      o.items.map((item, index) => [
        o.id, o.createdAt, o.source, o.externalId, o.customerId, o.customerName, o.company, o.email,
        index + 1, item.productId, codes.get(item.productId) ?? null, item.policyId, item.licenseId, item.quantity, item.name,
        formatPrice(item.price, item.currency), item.currency, formatPrice(o.total, o.currency), o.currency,
        o.billing.paymentStatus, o.billing.purchaseMethod, o.billing.reference, o.billing.invoiceUrl, o.subscriptionRef,
      ]),
    );
    return { filename: datedCsvName('orders', clock.now()), chunks };
  }

  /** The licenses bought with a shop subscription (Stripe `sub_…`), for billing events about it. */
  async licenseIdsForSubscription(source: OrderSource, subscriptionRef: string): Promise<string[]> {
    return findLicenseIdsBySubscription(this.deps.db, source, subscriptionRef);
  }

  /**
   * Runs `body` in a transaction, once more if it fails on a unique constraint: a concurrent order got
   * there first (the same order id, or a portal user for the same e-mail), and the second run finds what
   * it wrote.
   */
  async inTransaction<T>(body: (trx: Trx) => Promise<T>): Promise<T> {
    try {
      return await this.deps.db.transaction().execute(body);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.deps.db.transaction().execute(body);
    }
  }

  /**
   * Queues the confirmation: one `license.issued` mail per license (the template shows one key), each with
   * the portal link: a set-password link when the buyer's portal user has no password yet (one link for
   * the whole order), else the sign-in page. Keyed by order and line, so a mail is never recorded twice.
   */
  private async confirm(
    trx: Trx,
    orderId: string,
    prepared: PreparedOrder,
    customer: Customer,
    user: User | null,
    issued: { license: License; key: string }[],
  ): Promise<string[]> {
    const welcome = this.deps.onboarding.welcome(await this.deps.onboarding.setPasswordLink(trx, user));
    const ids: string[] = [];
    for (const [i, { license, key }] of issued.entries()) {
      const product = prepared.items[i]!.product;
      const sent = await this.deps.mail.send(trx, {
        template: 'license.issued',
        to: prepared.email,
        category: 'essential',
        customerId: customer.id,
        userId: user?.id ?? null,
        dedupeKey: `order:${orderId}:${i}`,
        secrets: welcome.secrets,
        data: {
          customer: { name: prepared.name ?? customer.name, email: prepared.email, company: prepared.company },
          product: { name: product.name, code: product.code },
          license: { id: license.id, name: license.name, key, expiresAt: license.expiresAt, maxMachines: license.maxMachines, maxUsers: license.maxUsers },
          order: { id: orderId, externalId: prepared.externalId, quantity: prepared.items[i]!.quantity },
          ...welcome.data,
        },
      });
      ids.push(sent.id);
    }
    return ids;
  }
}
