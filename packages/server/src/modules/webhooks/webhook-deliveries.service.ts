import Type from 'typebox';
import { randomUUID } from 'node:crypto';
import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { AuditEvent, EventsService, RequestContext } from '../events/events.service.js';
import type { JobQueue } from '../jobs/jobs.service.js';
import type { JobContext } from '../jobs/worker.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';
import { RetryLater } from '../jobs/worker.js';
import { PING_EVENT, subscribes } from './catalogue.js';
import { payloadOf, type WebhookPayload } from './payload.js';
import { type Subscription, type WebhookEndpointsService } from './webhook-endpoints.service.js';
import { LostClaim, MAX_EVENT_ATTEMPTS, recordAttempt, sendAttempt } from './delivery-attempt.js';
import {
  findDeliveryRow,
  findEndpointRow,
  insertDeliveries,
  listAttempts,
  listDeliveryRows,
  toDelivery,
  type DeliveryFilter,
  type NewDelivery,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
} from './webhooks.repository.js';

export type { WebhookDelivery, WebhookDeliveryDetail } from './webhooks.repository.js';
export { payloadOf, type WebhookPayload } from './payload.js';

export const WEBHOOK_DELIVER_JOB = 'webhook.deliver';
export const WEBHOOK_PRUNE_JOB = 'webhooks.prune';

/** Finished deliveries (and their attempts) are deleted after this many days. */
export const DELIVERY_RETENTION_DAYS = 30;

export interface WebhookDeliveriesDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  jobs: JobQueue;
  endpoints: WebhookEndpointsService;
  /** KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: requests may go to private addresses. */
  allowPrivate: boolean;
  timeoutMs: number;
  /** Wakes the local worker after staff queue a delivery (a test or a redelivery), so it goes at once. */
  poke?: () => void;
}

/**
 * Webhook deliveries: the fan-out of audit events, the attempts, the delivery log and its pruning.
 *
 * Events come from the audit log: `EventsService.record` calls `fanOut` inside the transaction of the
 * change, which inserts one delivery per subscribed endpoint and enqueues its job with that same
 * transaction (the outbox: a change and its notifications commit together; a rolled-back change sends
 * nothing). Only the worker makes HTTP requests; the API never waits for a receiver.
 */
export class WebhookDeliveriesService {
  constructor(private readonly deps: WebhookDeliveriesDeps) {}

  // ---------------------------------------------------------------------------------------------
  // Fan-out (runs inside other modules' transactions: only `executor`, and cheap)

  /**
   * Every audit event fans out to the subscribed endpoints inside the change's own transaction; the jobs
   * are one attempt of a delivery and the daily pruning of the delivery log.
   */
  wiring(): ModuleWiring {
    return {
      listeners: [this.fanOut],
      jobs: [
        {
          type: WEBHOOK_DELIVER_JOB,
          payload: Type.Object({ deliveryId: Type.String(), attempt: Type.Integer() }),
          run: (payload: { deliveryId: string; attempt: number }, context) => this.deliver(payload, context),
          // A request takes up to the timeout; the worker extends the lease while it runs anyway.
          leaseMs: 120_000,
        },
        { type: WEBHOOK_PRUNE_JOB, payload: SlotPayload, run: async () => void (await this.prune()), cron: '41 3 * * *' },
      ],
    };
  }

  /** The audit-log listener. */
  readonly fanOut = async (executor: Executor, event: AuditEvent): Promise<void> => {
    const subscriptions = await this.deps.endpoints.subscriptions(executor);
    if (subscriptions.length === 0) return;
    let targets: Subscription[] | undefined;
    for (const subscription of subscriptions) {
      // An endpoint is not told about itself (its own disabling would go to a dead receiver).
      if (event.target.type === 'webhook_endpoint' && event.target.id === subscription.id) continue;
      if (subscribes(subscription.events, event.action)) (targets ??= []).push(subscription);
    }
    if (!targets) return;
    const body = JSON.stringify(payloadOf(event));
    const at = this.deps.clock.now().toISOString();
    const deliveries: NewDelivery[] = targets.map((endpoint) => ({
      id: newId('whd'),
      endpointId: endpoint.id,
      eventId: event.id,
      eventType: event.action,
      payload: body,
      kind: 'event',
      redeliveryOf: null,
      maxAttempts: MAX_EVENT_ATTEMPTS,
      at,
    }));
    await insertDeliveries(executor, deliveries);
    for (const delivery of deliveries) await this.enqueueAttempt(executor, delivery.id, 1);
  };

  /** Enqueues attempt number `attempt` of a delivery (due at `runAt`, or now) with the caller's executor. */
  private readonly enqueueAttempt = async (executor: Executor, deliveryId: string, attempt: number, runAt?: Date): Promise<void> => {
    await this.deps.jobs.enqueue(executor, {
      type: WEBHOOK_DELIVER_JOB,
      payload: { deliveryId, attempt },
      uniqueKey: `webhook:${deliveryId}:${attempt}`,
      maxAttempts: 5,
      ...(runAt ? { runAt } : {}),
    });
  };

  // ---------------------------------------------------------------------------------------------
  // The delivery log, tests and redeliveries

  async listDeliveries(endpointId: string, filter: DeliveryFilter): Promise<Page<WebhookDelivery>> {
    if (!(await findEndpointRow(this.deps.db, endpointId))) throw notFound('Webhook endpoint', endpointId);
    return page((await listDeliveryRows(this.deps.db, endpointId, filter)).map(toDelivery), filter.limit);
  }

  async getDelivery(id: string): Promise<WebhookDeliveryDetail> {
    const row = await findDeliveryRow(this.deps.db, id);
    if (!row) throw notFound('Webhook delivery', id);
    return { ...toDelivery(row), payload: JSON.parse(row.payload), attempts: await listAttempts(this.deps.db, id) };
  }

  /** Queues a `ping` to the endpoint (one attempt, whatever its subscriptions, even while disabled). */
  async sendTest(ctx: RequestContext, endpointId: string): Promise<WebhookDelivery> {
    const endpoint = await this.deps.endpoints.get(endpointId);
    const now = this.deps.clock.now().toISOString();
    const payload: WebhookPayload = {
      id: newId('evt'),
      type: PING_EVENT,
      createdAt: now,
      data: { target: { type: 'webhook_endpoint', id: endpoint.id }, customerId: null, actor: { type: ctx.actor.type, id: ctx.actor.id }, before: null, after: null },
    };
    return this.queueManual(ctx, 'webhook_endpoint.tested', { type: 'webhook_endpoint', id: endpoint.id }, {
      id: newId('whd'),
      endpointId: endpoint.id,
      eventId: payload.id,
      eventType: PING_EVENT,
      payload: JSON.stringify(payload),
      kind: 'test',
      redeliveryOf: null,
      maxAttempts: 1,
      at: now,
    });
  }

  /**
   * Sends a delivery's event again as a new delivery (new `Keyhaven-Webhook-Id`, same body and
   * `Keyhaven-Event-Id`), one attempt, even while the endpoint is disabled. The original stays as it was.
   */
  async redeliver(ctx: RequestContext, deliveryId: string): Promise<WebhookDelivery> {
    const original = await findDeliveryRow(this.deps.db, deliveryId);
    if (!original) throw notFound('Webhook delivery', deliveryId);
    if (!(await findEndpointRow(this.deps.db, original.endpoint_id))) throw notFound('Webhook endpoint', original.endpoint_id);
    const id = newId('whd');
    return this.queueManual(ctx, 'webhook_delivery.redelivered', { type: 'webhook_delivery', id }, {
      id,
      endpointId: original.endpoint_id,
      eventId: original.event_id,
      eventType: original.event_type,
      payload: original.payload,
      kind: 'redelivery',
      redeliveryOf: original.id,
      maxAttempts: 1,
      at: this.deps.clock.now().toISOString(),
    });
  }

  private async queueManual(ctx: RequestContext, action: string, target: { type: string; id: string }, delivery: NewDelivery): Promise<WebhookDelivery> {
    await this.deps.db.transaction().execute(async (trx) => {
      await insertDeliveries(trx, [delivery]);
      await this.enqueueAttempt(trx, delivery.id, 1);
      await this.deps.events.record(trx, ctx, {
        action,
        targetType: target.type,
        targetId: target.id,
        after: { deliveryId: delivery.id, endpointId: delivery.endpointId, eventId: delivery.eventId, eventType: delivery.eventType, redeliveryOf: delivery.redeliveryOf },
      });
    });
    this.deps.poke?.();
    const row = await findDeliveryRow(this.deps.db, delivery.id);
    return toDelivery(row!);
  }

  // ---------------------------------------------------------------------------------------------
  // The worker's side

  /**
   * Job `webhook.deliver`: attempt number `attempt` of one delivery. The delivery row is claimed by a
   * conditional UPDATE (status and attempt count as read), so a duplicate or late job, or a second
   * worker, never makes the same attempt twice while one is under way; a worker that died mid-request
   * loses its claim after `claimedUntil` and the attempt is made again. The result, the next attempt's
   * job and the end of this job commit in one transaction.
   */
  async deliver(job: { deliveryId: string; attempt: number }, context: JobContext): Promise<void> {
    const { deliveryId, attempt } = job;
    const row = await findDeliveryRow(this.deps.db, deliveryId);
    if (!row) return; // deleted with its endpoint, or pruned
    if (row.status === 'delivered' || row.status === 'failed' || row.attempts > attempt) return;
    if (row.status === 'pending' && row.attempts >= attempt) return; // this attempt was made; a later job carries on
    const endpoint = await findEndpointRow(this.deps.db, row.endpoint_id);
    if (!endpoint) {
      // Inserted from a stale subscription list after its endpoint was deleted.
      await this.deps.db.deleteFrom('webhook_deliveries').where('id', '=', deliveryId).execute();
      return;
    }
    if (!endpoint.enabled && row.kind === 'event') {
      // Fails without a request: waiting, or taken by a worker that died before it recorded anything.
      const now = this.deps.clock.now().toISOString();
      await this.deps.db
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', last_error: 'The endpoint is disabled', next_attempt_at: null, claim_token: null, claimed_until: null, updated_at: now })
        .where('id', '=', deliveryId)
        .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('claimed_until', '<=', now)])]))
        .execute();
      return;
    }

    const now = this.deps.clock.now();
    const nowIso = now.toISOString();
    const token = randomUUID();
    const claimed = await this.deps.db
      .updateTable('webhook_deliveries')
      .set({ status: 'sending', attempts: attempt, claim_token: token, claimed_until: new Date(now.getTime() + this.deps.timeoutMs + 60_000).toISOString(), updated_at: nowIso })
      .where('id', '=', deliveryId)
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('attempts', '=', attempt - 1), eb('next_attempt_at', '<=', nowIso)]),
          eb.and([eb('status', '=', 'sending'), eb('attempts', '=', attempt), eb('claimed_until', '<=', nowIso)]),
        ]),
      )
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) {
      const current = await findDeliveryRow(this.deps.db, deliveryId);
      if (current?.status === 'sending' && current.attempts === attempt && current.claimed_until) {
        throw new RetryLater('Another worker is making this attempt', Math.max(1000, Date.parse(toIso(current.claimed_until)) - now.getTime()));
      }
      if (current?.status === 'pending' && current.attempts === attempt - 1 && current.next_attempt_at) {
        throw new RetryLater('Not due yet', Math.max(1000, Date.parse(toIso(current.next_attempt_at)) - now.getTime()));
      }
      return;
    }

    const result = await sendAttempt(endpoint, row, attempt, now, {
      keyring: this.deps.keyring,
      timeoutMs: this.deps.timeoutMs,
      allowPrivate: this.deps.allowPrivate,
      signal: context.signal,
    });
    let disabled = false;
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const outcome = { row, attempt, token, result, at: this.deps.clock.now() };
        disabled = await recordAttempt(trx, { events: this.deps.events, enqueueAttempt: this.enqueueAttempt }, outcome);
        try {
          await context.complete(trx);
        } catch {
          // This worker lost the job's lease meanwhile; the delivery row, not the job, is what counts.
        }
      });
    } catch (error) {
      if (error instanceof LostClaim) return;
      throw error;
    } finally {
      if (disabled) this.deps.endpoints.invalidate();
    }
  }

  /** Job `webhooks.prune` (daily): deletes finished deliveries older than the retention, in batches. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.deps.clock.now().getTime() - DELIVERY_RETENTION_DAYS * 86_400_000).toISOString();
    let total = 0;
    for (;;) {
      const batch = await this.deps.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', 'in', ['delivered', 'failed'])
        .where('updated_at', '<', cutoff)
        .limit(1000)
        .execute();
      if (batch.length === 0) return total;
      const ids = batch.map((b) => b.id);
      await this.deps.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', ids).execute();
        await trx.deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
      });
      total += ids.length;
      if (batch.length < 1000) return total;
    }
  }
}
