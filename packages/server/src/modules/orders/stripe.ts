import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../http/errors.js';
import type { IntegrationOrderInput, OrderItemInput } from './orders.service.js';

/** Stripe's default: a signature older (or newer) than five minutes is refused, so a captured request cannot be replayed later. */
export const STRIPE_TOLERANCE_SECONDS = 300;

/** The metadata keys a vendor sets in Stripe to say which policy a purchase is for. */
export const STRIPE_METADATA = {
  policy: 'keyhaven_policy',
  quantity: 'keyhaven_quantity',
  name: 'keyhaven_name',
  items: 'keyhaven_items',
  company: 'keyhaven_company',
} as const;

function invalid(reason: string): AppError {
  return new AppError('SIGNATURE_INVALID', `Stripe signature check failed: ${reason}`, { reason });
}

/**
 * Verifies a `Stripe-Signature` header (`t=<unix seconds>,v1=<hex>[,v1=<hex>…]`) the way Stripe
 * specifies: HMAC-SHA256 with the endpoint's signing secret over `<t>.<raw body>`, compared in constant
 * time against every `v1` value (there are several while a secret is being rolled), and `t` within the
 * tolerance of now. Other schemes (`v0`, the test-mode scheme) are ignored. Throws SIGNATURE_INVALID.
 */
export function verifyStripeSignature(rawBody: Buffer, header: string | undefined, secret: string, now: Date, toleranceSeconds = STRIPE_TOLERANCE_SECONDS): void {
  if (!header) throw invalid('the Stripe-Signature header is missing');
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined) throw invalid('the header has no timestamp (t=)');
  if (signatures.length === 0) throw invalid('the header has no v1 signature');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  // Every candidate is compared (no early exit), each in constant time.
  let match = false;
  for (const signature of signatures) match = timingSafeEqual(signature, expected) || match;
  if (!match) throw invalid('no signature matches the payload and the endpoint secret');
  const age = Math.floor(now.getTime() / 1000) - timestamp;
  if (Math.abs(age) > toleranceSeconds) throw invalid(`the timestamp is ${Math.abs(age)} s ${age > 0 ? 'old' : 'in the future'} (tolerance ${toleranceSeconds} s)`);
}

/** The parts of a Stripe event every handler needs. */
export interface StripeEvent {
  id: string;
  type: string;
  livemode: boolean;
  object: Record<string, unknown>;
  /** `data.previous_attributes` of `*.updated` events: the changed fields' earlier values. */
  previous: Record<string, unknown> | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Checks the envelope of a (signed) event: `{id, type, data: {object}}`. */
export function parseStripeEvent(body: unknown): StripeEvent {
  const fields: Record<string, string> = {};
  if (!isObject(body)) throw new AppError('VALIDATION_FAILED', 'A Stripe event is a JSON object', { fields: { body: 'must be an object' } });
  if (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 255) fields.id = 'must be the event id';
  if (typeof body.type !== 'string' || body.type.length === 0 || body.type.length > 255) fields.type = 'must be the event type';
  if (!isObject(body.data) || !isObject(body.data.object)) fields['data.object'] = 'must be an object';
  if (Object.keys(fields).length > 0) throw new AppError('VALIDATION_FAILED', 'Not a Stripe event', { fields });
  const data = body.data as { object: Record<string, unknown>; previous_attributes?: unknown };
  return {
    id: body.id as string,
    type: body.type as string,
    livemode: body.livemode === true,
    object: data.object,
    previous: isObject(data.previous_attributes) ? data.previous_attributes : null,
  };
}

/** A string field, trimmed, without NUL characters (which PostgreSQL cannot store), cut to `max`; null if empty. */
function text(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  const cleaned = value.replace(/\u0000/g, '').trim();
  return cleaned ? cleaned.slice(0, max) : null;
}

const idOf = (value: unknown): string | null => (typeof value === 'string' ? text(value, 255) : isObject(value) ? text(value.id, 255) : null);

function unmapped(message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('STRIPE_EVENT_UNMAPPED', message, details);
}

function quantityOf(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10_000) throw unmapped(`${where} must be a whole number from 1 to 10000`, { field: where });
  return n;
}

/** The Keyhaven policy a Stripe price names in its metadata, or its product does (when the payload expands it). */
function policyOfPrice(price: unknown): string | null {
  if (!isObject(price)) return null;
  const own = isObject(price.metadata) ? text(price.metadata[STRIPE_METADATA.policy], 64) : null;
  if (own) return own;
  return isObject(price.product) && isObject(price.product.metadata) ? text(price.product.metadata[STRIPE_METADATA.policy], 64) : null;
}

/**
 * The order lines of a Checkout Session. The `checkout.session.completed` event does not carry the line
 * items (Stripe sends them only when asked, and we never call Stripe), so they come from, in order:
 *  1. `line_items` when the payload has them expanded (a relay that expands them): every line whose price
 *     (or product) has `keyhaven_policy` metadata becomes a line, with its quantity and amount;
 *  2. the session's metadata `keyhaven_items`: a JSON array `[{"policy": "pol_…", "quantity": 5, "name": "…"}]`;
 *  3. the session's metadata `keyhaven_policy` (with optional `keyhaven_quantity` and `keyhaven_name`): one
 *     line, priced with the session's total.
 */
function itemsOf(session: Record<string, unknown>, metadata: Record<string, unknown>, currency: string | null, total: number | null): OrderItemInput[] {
  const lineItems = isObject(session.line_items) && Array.isArray(session.line_items.data) ? session.line_items.data : [];
  const fromLines: OrderItemInput[] = [];
  for (const [i, line] of lineItems.entries()) {
    if (!isObject(line)) continue;
    const policyId = policyOfPrice(line.price);
    if (!policyId) continue;
    fromLines.push({
      policyId,
      quantity: line.quantity === undefined || line.quantity === null ? 1 : quantityOf(line.quantity, `line_items.data.${i}.quantity`),
      name: text(line.description, 200),
      price: typeof line.amount_total === 'number' && Number.isInteger(line.amount_total) && line.amount_total >= 0 ? line.amount_total : null,
      currency: text(line.currency, 3),
    });
  }
  if (fromLines.length > 0) return fromLines;

  const listed = metadata[STRIPE_METADATA.items];
  if (typeof listed === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(listed);
    } catch {
      throw unmapped(`metadata.${STRIPE_METADATA.items} is not valid JSON`, { field: `metadata.${STRIPE_METADATA.items}` });
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 50) {
      throw unmapped(`metadata.${STRIPE_METADATA.items} must be a JSON array of 1 to 50 {"policy", "quantity"} objects`, { field: `metadata.${STRIPE_METADATA.items}` });
    }
    return parsed.map((entry, i) => {
      const where = `metadata.${STRIPE_METADATA.items}[${i}]`;
      const policyId = isObject(entry) ? text(entry.policy, 64) : null;
      if (!isObject(entry) || !policyId) throw unmapped(`${where} needs a "policy" (a Keyhaven policy id)`, { field: where });
      return {
        policyId,
        quantity: entry.quantity === undefined ? 1 : quantityOf(entry.quantity, `${where}.quantity`),
        name: text(entry.name, 200),
        price: null,
        currency,
      };
    });
  }

  const policyId = text(metadata[STRIPE_METADATA.policy], 64);
  if (policyId) {
    const quantity = metadata[STRIPE_METADATA.quantity];
    return [
      {
        policyId,
        quantity: quantity === undefined ? 1 : quantityOf(quantity, `metadata.${STRIPE_METADATA.quantity}`),
        name: text(metadata[STRIPE_METADATA.name], 200),
        price: total,
        currency,
      },
    ];
  }
  throw unmapped(
    `The Checkout Session ${String(session.id)} names no Keyhaven policy: set metadata "${STRIPE_METADATA.policy}" (a policy id) on the session, or on the prices of expanded line items`,
    { field: `metadata.${STRIPE_METADATA.policy}` },
  );
}

/** Whether a Checkout Session is paid for (or needs no payment): only then does it become an order. */
export function sessionIsPaid(session: Record<string, unknown>): boolean {
  return session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
}

/**
 * A completed Checkout Session as an order: the session id is the order's external id, the buyer comes
 * from `customer_details` (or `customer_email`), the lines from metadata (see `itemsOf`), the billing
 * details from the payment fields. Throws STRIPE_EVENT_UNMAPPED when something needed is missing.
 */
export function checkoutSessionToOrder(session: Record<string, unknown>): IntegrationOrderInput {
  const id = text(session.id, 200);
  if (!id) throw unmapped('The Checkout Session has no id');
  const details = isObject(session.customer_details) ? session.customer_details : {};
  const email = text(details.email, 320) ?? text(session.customer_email, 320);
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw unmapped(`The Checkout Session ${id} has no customer e-mail address`, { field: 'customer_details.email' });
  const metadata = isObject(session.metadata) ? session.metadata : {};
  const currency = text(session.currency, 3)?.toUpperCase() ?? null;
  const total = typeof session.amount_total === 'number' && Number.isInteger(session.amount_total) && session.amount_total >= 0 ? session.amount_total : null;
  const invoice = isObject(session.invoice) ? session.invoice : null;
  const invoiceUrl = invoice ? text(invoice.hosted_invoice_url, 2000) : null;
  const extra: Record<string, unknown> = {
    stripeCustomer: idOf(session.customer),
    stripeMode: text(session.mode, 50),
    stripePaymentIntent: idOf(session.payment_intent),
    stripeInvoice: idOf(session.invoice),
    clientReferenceId: text(session.client_reference_id, 200),
    livemode: session.livemode === true,
  };
  return {
    source: 'stripe',
    externalId: id,
    customer: {
      email: email.toLowerCase(),
      name: text(details.name, 200),
      company: text(details.business_name, 200) ?? text(metadata[STRIPE_METADATA.company], 200),
    },
    items: itemsOf(session, metadata, currency, total),
    billing: {
      invoiceUrl: invoiceUrl && /^https?:\/\//.test(invoiceUrl) ? invoiceUrl : null,
      paymentStatus: text(session.payment_status, 50),
      purchaseMethod: 'stripe',
      reference: (invoice ? text(invoice.number, 200) : null) ?? text(session.client_reference_id, 200) ?? idOf(session.payment_intent) ?? id,
    },
    total,
    currency,
    subscriptionRef: idOf(session.subscription),
    metadata: Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== null)),
  };
}

/** What a `customer.subscription.*` event means for the licenses bought with that subscription. */
export type SubscriptionChange = { action: 'cancel'; reason: string } | { action: 'resume'; reason: string } | { action: 'none'; reason: string };

/** The Stripe subscription id an object names (a subscription's own id, or an invoice's subscription in old and new API versions). */
export function subscriptionIdOf(object: Record<string, unknown>): string | null {
  if (object.object === 'subscription') return idOf(object.id);
  const direct = idOf(object.subscription);
  if (direct) return direct;
  const parent = isObject(object.parent) ? object.parent : null;
  const details = parent && isObject(parent.subscription_details) ? parent.subscription_details : null;
  return details ? idOf(details.subscription) : null;
}

/**
 * `customer.subscription.deleted` ends the subscription: auto-renewal off (access stays until the paid
 * term ends; revoke by hand after a refund). `customer.subscription.updated` cancels when the customer
 * scheduled the end (`cancel_at_period_end`, `cancel_at`) or the status says it ended, and resumes when a
 * scheduled end was taken back; other changes (payment method, quantity, status `past_due`) are not tracked.
 */
export function subscriptionChange(type: string, subscription: Record<string, unknown>, previous: Record<string, unknown> | null): SubscriptionChange {
  if (type === 'customer.subscription.deleted') return { action: 'cancel', reason: 'the subscription was deleted in Stripe' };
  const status = typeof subscription.status === 'string' ? subscription.status : null;
  if (status === 'canceled' || status === 'incomplete_expired') return { action: 'cancel', reason: `the subscription status is ${status}` };
  if (subscription.cancel_at_period_end === true) return { action: 'cancel', reason: 'cancel_at_period_end was set' };
  if (typeof subscription.cancel_at === 'number') return { action: 'cancel', reason: 'cancel_at was set' };
  const wasEnding = previous !== null && (previous.cancel_at_period_end === true || typeof previous.cancel_at === 'number');
  if (wasEnding) return { action: 'resume', reason: 'the scheduled cancellation was taken back' };
  return { action: 'none', reason: 'no change to cancellation' };
}

/** A paid invoice as a renewal: only `subscription_cycle` invoices renew (the first invoice is the checkout's). */
export interface InvoiceRenewal {
  subscriptionId: string;
  invoiceId: string;
  /** Minor units actually paid, and the currency. */
  amount: number | null;
  currency: string | null;
  /** The end of the service period the invoice pays for (the latest line period end), when present. */
  periodEnd: string | null;
}

export function invoiceRenewal(invoice: Record<string, unknown>): InvoiceRenewal | { ignore: string } {
  const subscriptionId = subscriptionIdOf(invoice);
  if (!subscriptionId) return { ignore: 'the invoice belongs to no subscription' };
  if (invoice.billing_reason === 'subscription_create') return { ignore: "the subscription's first invoice: its checkout created the licenses" };
  if (invoice.billing_reason !== 'subscription_cycle') return { ignore: `billing_reason ${String(invoice.billing_reason)} does not renew` };
  const invoiceId = idOf(invoice.id);
  if (!invoiceId) throw unmapped('The invoice has no id');
  const lines = isObject(invoice.lines) && Array.isArray(invoice.lines.data) ? invoice.lines.data : [];
  let end: number | null = null;
  for (const line of lines) {
    const period = isObject(line) && isObject(line.period) ? line.period : null;
    if (period && typeof period.end === 'number' && Number.isInteger(period.end) && period.end > 0 && period.end < 253_402_300_800) end = Math.max(end ?? 0, period.end);
  }
  const amount = typeof invoice.amount_paid === 'number' && Number.isInteger(invoice.amount_paid) && invoice.amount_paid >= 0 ? invoice.amount_paid : null;
  return {
    subscriptionId,
    invoiceId,
    amount,
    currency: amount === null ? null : (text(invoice.currency, 3)?.toUpperCase() ?? null),
    periodEnd: end === null ? null : new Date(end * 1000).toISOString(),
  };
}
