import type { Db, Trx } from '../../db/database.js';
import type { Actor } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestContext } from '../events/events.service.js';
import { findInboundEvent, insertInboundEvent } from './orders.repository.js';
import type { OrdersService } from './orders.service.js';
import { checkoutSessionToOrder, parseStripeEvent, sessionIsPaid, verifyStripeSignature, type StripeEvent } from './stripe.js';

/** Who Stripe's events act as in the audit log: the system, labelled. */
export const STRIPE_ACTOR: Actor = { type: 'system', id: 'stripe', role: 'owner', scope: {}, label: 'Stripe webhook' };

export interface StripeAnswer {
  received: true;
  /** processed: effects applied; ignored: nothing to do for this event; duplicate: this event id was handled before. */
  outcome: 'processed' | 'ignored' | 'duplicate';
  detail?: string;
  orderId?: string;
}

/** What an event handler decided, applied by `handle` together with the processed-event row. */
type Handling = { outcome: 'ignored'; detail: string } | { outcome: 'processed'; detail?: string; apply: (trx: Trx) => Promise<{ orderId?: string; detail?: string }> };

/**
 * The inbound Stripe adapter. Every event is checked against the endpoint's signing secret first. An
 * event's effects and the row recording its id commit in one transaction, so a redelivered event (Stripe
 * retries until it gets a 2xx, and may deliver twice) is answered 200 `duplicate` without effects, and the
 * 200 is sent only after the effects are durable. Events the adapter does not handle are answered 200
 * `ignored` (Stripe expects 2xx). An event that cannot be mapped (no policy in the metadata) is a 422: Stripe
 * shows it as failed in its dashboard and retries, and nothing is recorded, so a later delivery can succeed.
 */
export class StripeService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly orders: OrdersService,
    private readonly options: { webhookSecret: string | undefined },
  ) {}

  async handleWebhook(rawBody: Buffer | undefined, body: unknown, signature: string | undefined, meta: { requestId?: string; ip?: string }): Promise<StripeAnswer> {
    const secret = this.options.webhookSecret;
    if (!secret) throw new AppError('INTEGRATION_NOT_CONFIGURED', 'The Stripe integration is not configured: set STRIPE_WEBHOOK_SECRET to the endpoint\'s signing secret');
    verifyStripeSignature(rawBody ?? Buffer.alloc(0), signature, secret, this.clock.now());
    const event = parseStripeEvent(body);
    const ctx: RequestContext = { actor: STRIPE_ACTOR, requestId: meta.requestId, ip: meta.ip };

    const seen = await findInboundEvent(this.db, 'stripe', event.id);
    if (seen) return { received: true, outcome: 'duplicate', ...(seen.orderId ? { orderId: seen.orderId } : {}) };

    const handling = await this.decide(ctx, event);
    return this.orders.inTransaction(async (trx) => {
      // A concurrent delivery of the same event may have committed since the check above.
      const again = await findInboundEvent(trx, 'stripe', event.id);
      if (again) return { received: true as const, outcome: 'duplicate' as const, ...(again.orderId ? { orderId: again.orderId } : {}) };
      const applied = handling.outcome === 'processed' ? await handling.apply(trx) : { detail: handling.detail };
      const detail = applied.detail ?? (handling.outcome === 'processed' ? handling.detail : undefined);
      await insertInboundEvent(trx, {
        source: 'stripe',
        eventId: event.id,
        type: event.type,
        outcome: handling.outcome,
        detail: detail ?? null,
        orderId: applied.orderId ?? null,
        receivedAt: this.clock.now().toISOString(),
      });
      return { received: true as const, outcome: handling.outcome, ...(detail ? { detail } : {}), ...(applied.orderId ? { orderId: applied.orderId } : {}) };
    });
  }

  /** Reads and checks what an event needs before its transaction opens (nothing inside may use `this.db`). */
  private async decide(ctx: RequestContext, event: StripeEvent): Promise<Handling> {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.object;
        if (session.mode === 'setup') return { outcome: 'ignored', detail: 'a setup session sells nothing' };
        if (!sessionIsPaid(session)) {
          return { outcome: 'ignored', detail: `payment_status is ${String(session.payment_status)}: the order is created on checkout.session.async_payment_succeeded` };
        }
        const prepared = await this.orders.prepare(ctx, checkoutSessionToOrder(session));
        return {
          outcome: 'processed',
          apply: async (trx) => {
            const outcome = await this.orders.createWith(trx, ctx, prepared);
            return { orderId: outcome.order.id, ...(outcome.created ? {} : { detail: `order ${outcome.order.id} already existed` }) };
          },
        };
      }
      default:
        return { outcome: 'ignored', detail: `${event.type} is not handled` };
    }
  }
}
