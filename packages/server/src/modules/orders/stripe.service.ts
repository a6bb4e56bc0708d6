import type { Db, Trx } from '../../db/database.js';
import type { Actor } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestContext } from '../events/events.service.js';
import type { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import { findInboundEvent, insertInboundEvent } from './orders.repository.js';
import type { OrdersService } from './orders.service.js';
import {
  checkoutSessionToOrder,
  invoiceRenewal,
  parseStripeEvent,
  sessionIsPaid,
  subscriptionChange,
  subscriptionIdOf,
  verifyStripeSignature,
  type StripeEvent,
} from './stripe.js';

/** Who Stripe's events act as in the audit log: the system, labelled. */
export const STRIPE_ACTOR: Actor = { type: 'system', id: 'stripe', role: 'owner', scope: {}, label: 'Stripe webhook' };

export interface StripeAnswer {
  received: true;
  /** processed: effects applied; ignored: nothing to do for this event; duplicate: this event id was handled before. */
  outcome: 'processed' | 'ignored' | 'duplicate';
  detail?: string;
  orderId?: string;
}

/**
 * What an event handler decided. `apply` runs inside the transaction that records the event id; `run`
 * calls other services' operations (which open their own transactions) before the event id is recorded,
 * so it must be idempotent: a crash between the two makes Stripe deliver the event again.
 */
type Handling =
  | { outcome: 'ignored'; detail: string }
  | { outcome: 'processed'; detail?: string; apply: (trx: Trx) => Promise<{ orderId?: string; detail?: string }> }
  | { outcome: 'processed'; run: () => Promise<{ detail: string }> };

export interface StripeDeps {
  db: Db;
  clock: Clock;
  orders: OrdersService;
  licenses: LicensesService;
  subscriptions: SubscriptionsService;
  /** STRIPE_WEBHOOK_SECRET: the endpoint's signing secret; unset, the integration answers 503-style INTEGRATION_NOT_CONFIGURED. */
  webhookSecret: string | undefined;
}

/**
 * The inbound Stripe adapter. Every event is checked against the endpoint's signing secret first. An
 * event's effects and the row recording its id commit in one transaction, so a redelivered event (Stripe
 * retries until it gets a 2xx, and may deliver twice) is answered 200 `duplicate` without effects, and the
 * 200 is sent only after the effects are durable. Events the adapter does not handle are answered 200
 * `ignored` (Stripe expects 2xx). An event that cannot be mapped (no policy in the metadata) is a 422: Stripe
 * shows it as failed in its dashboard and retries, and nothing is recorded, so a later delivery can succeed.
 */
export class StripeService {
  constructor(private readonly deps: StripeDeps) {}

  async handleWebhook(rawBody: Buffer | undefined, body: unknown, signature: string | undefined, meta: { requestId?: string; ip?: string }): Promise<StripeAnswer> {
    const secret = this.deps.webhookSecret;
    if (!secret) throw new AppError('INTEGRATION_NOT_CONFIGURED', 'The Stripe integration is not configured: set STRIPE_WEBHOOK_SECRET to the endpoint\'s signing secret');
    verifyStripeSignature(rawBody ?? Buffer.alloc(0), signature, secret, this.deps.clock.now());
    const event = parseStripeEvent(body);
    const ctx: RequestContext = { actor: STRIPE_ACTOR, requestId: meta.requestId, ip: meta.ip };

    const seen = await findInboundEvent(this.deps.db, 'stripe', event.id);
    if (seen) return { received: true, outcome: 'duplicate', ...(seen.orderId ? { orderId: seen.orderId } : {}) };

    const handling = await this.decide(ctx, event);
    const ran = 'run' in handling ? await handling.run() : undefined;
    return this.deps.orders.inTransaction(async (trx) => {
      // A concurrent delivery of the same event may have committed since the check above.
      const again = await findInboundEvent(trx, 'stripe', event.id);
      if (again) return { received: true as const, outcome: 'duplicate' as const, ...(again.orderId ? { orderId: again.orderId } : {}) };
      const applied = 'apply' in handling ? await handling.apply(trx) : { detail: ran?.detail ?? ('detail' in handling ? handling.detail : undefined) };
      const detail = applied.detail ?? ('detail' in handling ? handling.detail : undefined);
      await insertInboundEvent(trx, {
        source: 'stripe',
        eventId: event.id,
        type: event.type,
        outcome: handling.outcome,
        detail: detail ?? null,
        orderId: applied.orderId ?? null,
        receivedAt: this.deps.clock.now().toISOString(),
      });
      return { received: true as const, outcome: handling.outcome, ...(detail ? { detail } : {}), ...(applied.orderId ? { orderId: applied.orderId } : {}) };
    });
  }

  /** Reads and checks what an event needs before its transaction opens (nothing inside may use `this.deps.db`). */
  private async decide(ctx: RequestContext, event: StripeEvent): Promise<Handling> {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.object;
        if (session.mode === 'setup') return { outcome: 'ignored', detail: 'a setup session sells nothing' };
        if (!sessionIsPaid(session)) {
          return { outcome: 'ignored', detail: `payment_status is ${String(session.payment_status)}: the order is created on checkout.session.async_payment_succeeded` };
        }
        const prepared = await this.deps.orders.prepare(ctx, checkoutSessionToOrder(session));
        return {
          outcome: 'processed',
          apply: async (trx) => {
            const outcome = await this.deps.orders.createWith(trx, ctx, prepared);
            return { orderId: outcome.order.id, ...(outcome.created ? {} : { detail: `order ${outcome.order.id} already existed` }) };
          },
        };
      }
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const subscriptionId = subscriptionIdOf(event.object);
        const change = subscriptionChange(event.type, event.object, event.previous);
        if (!subscriptionId || change.action === 'none') return { outcome: 'ignored', detail: change.reason };
        const licenseIds = await this.deps.orders.licenseIdsForSubscription('stripe', subscriptionId);
        if (licenseIds.length === 0) return { outcome: 'ignored', detail: `no order started subscription ${subscriptionId}` };
        return {
          outcome: 'processed',
          run: () =>
            this.eachLicense(licenseIds, change.action === 'cancel' ? 'cancelled' : 'resumed', (id) =>
              change.action === 'cancel' ? this.deps.subscriptions.cancel(ctx, id, { source: 'billing' }) : this.deps.subscriptions.resume(ctx, id),
            ).then((detail) => ({ detail: `${change.reason}: ${detail}` })),
        };
      }
      case 'invoice.paid': {
        const renewal = invoiceRenewal(event.object);
        if ('ignore' in renewal) return { outcome: 'ignored', detail: renewal.ignore };
        const licenseIds = await this.deps.orders.licenseIdsForSubscription('stripe', renewal.subscriptionId);
        if (licenseIds.length === 0) return { outcome: 'ignored', detail: `no order started subscription ${renewal.subscriptionId}` };
        return {
          outcome: 'processed',
          run: async () => ({
            detail: await this.eachLicense(licenseIds, 'renewed', async (id) => {
              const license = await this.deps.licenses.get(ctx, id);
              // Stripe's period end when it moves the expiry on; otherwise one term of the license's own.
              const expiresAt = renewal.periodEnd && license.expiresAt && renewal.periodEnd > license.expiresAt ? renewal.periodEnd : undefined;
              // The amount is one license's when the subscription bought one; with several, per-license prices are unknown.
              const priced = licenseIds.length === 1 && renewal.amount !== null;
              return this.deps.subscriptions.renew(ctx, id, {
                source: 'billing',
                reference: renewal.invoiceId,
                ...(priced ? { price: renewal.amount, currency: renewal.currency } : {}),
                ...(expiresAt ? { expiresAt } : {}),
              });
            }),
          }),
        };
      }
      default:
        return { outcome: 'ignored', detail: `${event.type} is not handled` };
    }
  }

  /**
   * Applies a subscription operation to each license of a Stripe subscription. The operations are
   * idempotent (cancelling twice changes nothing; a renewal carries the invoice id as its reference), so a
   * redelivery after a crash does no harm. Licenses the operation does not apply to (not a subscription,
   * revoked) are skipped and named in the answer; any other failure fails the delivery, and Stripe retries.
   */
  private async eachLicense(ids: string[], done: string, operation: (id: string) => Promise<unknown>): Promise<string> {
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const id of ids) {
      try {
        await operation(id);
        applied.push(id);
      } catch (error) {
        if (error instanceof AppError && ['NOT_A_SUBSCRIPTION', 'INVALID_TRANSITION', 'NOT_RENEWABLE'].includes(error.code)) skipped.push(`${id} (${error.message})`);
        else throw error;
      }
    }
    return [applied.length > 0 ? `${done} ${applied.join(', ')}` : `nothing ${done}`, ...(skipped.length > 0 ? [`skipped ${skipped.join('; ')}`] : [])].join('; ');
  }
}
