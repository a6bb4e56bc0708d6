import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Executor } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { checkWebhookUrl } from './address-policy.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './catalogue.js';
import { enabledSubscriptions, findEndpointRow, listEndpointRows, toEndpoint, type WebhookEndpoint } from './webhooks.repository.js';

/** How long the in-memory list of subscriptions is trusted before it is read again (changes made by other processes). */
export const SUBSCRIPTIONS_TTL_MS = 5_000;
/** The keyring purpose of endpoints' signing secrets. */
export const WEBHOOK_SECRET_PURPOSE = 'webhook-secret';

export type { WebhookEndpoint } from './webhooks.repository.js';

export interface CreateEndpointInput {
  url: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}

export interface UpdateEndpointInput {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}

/** An enabled endpoint and the events it subscribes to. */
export interface Subscription {
  id: string;
  events: string[];
}

export interface WebhookEndpointsDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  /** KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: URLs may name private addresses. */
  allowPrivate: boolean;
}

/**
 * Webhook endpoints: the URLs staff register, their subscriptions and signing secrets. The list of
 * enabled subscriptions is cached for the fan-out (WebhookDeliveriesService), which runs on every change.
 */
export class WebhookEndpointsService {
  private cache: { loadedAt: number; list: Subscription[] } | undefined;
  private generation = 0;

  constructor(private readonly deps: WebhookEndpointsDeps) {}

  /** The enabled endpoints and their events, cached for SUBSCRIPTIONS_TTL_MS; read on `executor` when stale. */
  async subscriptions(executor: Executor): Promise<Subscription[]> {
    return this.cachedSubscriptions() ?? (await this.loadSubscriptions(executor));
  }

  private cachedSubscriptions(): Subscription[] | undefined {
    const cached = this.cache;
    return cached && performance.now() - cached.loadedAt < SUBSCRIPTIONS_TTL_MS ? cached.list : undefined;
  }

  private async loadSubscriptions(executor: Executor): Promise<Subscription[]> {
    const generation = this.generation;
    const list = await enabledSubscriptions(executor);
    // An endpoint change committed while this read ran makes the read stale: use it once, do not keep it.
    if (generation === this.generation) this.cache = { loadedAt: performance.now(), list };
    return list;
  }

  /** Forgets the cached subscriptions; called after every committed (or rolled back) endpoint change. */
  invalidate(): void {
    this.generation++;
    this.cache = undefined;
  }

  eventTypes(): { data: WebhookEventType[] } {
    return { data: [...WEBHOOK_EVENT_TYPES] };
  }

  async create(ctx: RequestContext, input: CreateEndpointInput): Promise<WebhookEndpoint & { secret: string }> {
    const url = this.checkUrl(input.url);
    const now = this.deps.clock.now().toISOString();
    const secret = newSecret();
    const enabled = input.enabled ?? true;
    const row = {
      id: newId('whe'),
      url,
      description: input.description ?? null,
      events: JSON.stringify(normalizeEvents(input.events ?? ['*'])),
      secret_ciphertext: this.deps.keyring.encrypt(WEBHOOK_SECRET_PURPOSE, secret),
      secret_hint: secret.slice(-4),
      previous_secret_ciphertext: null,
      previous_secret_expires_at: null,
      enabled: enabled ? 1 : 0,
      disabled_reason: enabled ? null : `Disabled by ${ctx.actor.label}`,
      disabled_at: enabled ? null : now,
      consecutive_failures: 0,
      failing_since: null,
      last_success_at: null,
      created_at: now,
      updated_at: now,
    };
    const endpoint = toEndpoint(row);
    await this.changeEndpoints(async (trx) => {
      await trx.insertInto('webhook_endpoints').values(row).execute();
      await this.deps.events.record(trx, ctx, { action: 'webhook_endpoint.created', targetType: 'webhook_endpoint', targetId: row.id, after: endpoint });
    });
    return { ...endpoint, secret };
  }

  async list(limit: number, cursor?: string): Promise<Page<WebhookEndpoint>> {
    return page((await listEndpointRows(this.deps.db, limit, cursor)).map(toEndpoint), limit);
  }

  async get(id: string): Promise<WebhookEndpoint> {
    const row = await findEndpointRow(this.deps.db, id);
    if (!row) throw notFound('Webhook endpoint', id);
    return toEndpoint(row);
  }

  /** Edits an endpoint. Enabling it again clears the failure streak and the reason it was disabled. */
  async update(ctx: RequestContext, id: string, input: UpdateEndpointInput): Promise<WebhookEndpoint> {
    const url = input.url === undefined ? undefined : this.checkUrl(input.url);
    return this.changeEndpoints(async (trx) => {
      const row = await findEndpointRow(trx, id);
      if (!row) throw notFound('Webhook endpoint', id);
      const now = this.deps.clock.now().toISOString();
      const next = { ...row, updated_at: now };
      if (url !== undefined) next.url = url;
      if (input.description !== undefined) next.description = input.description;
      if (input.events !== undefined) next.events = JSON.stringify(normalizeEvents(input.events));
      if (input.enabled === true && !row.enabled) {
        Object.assign(next, { enabled: 1, disabled_reason: null, disabled_at: null, consecutive_failures: 0, failing_since: null });
      } else if (input.enabled === false && row.enabled) {
        Object.assign(next, { enabled: 0, disabled_reason: `Disabled by ${ctx.actor.label}`, disabled_at: now });
      }
      const { id: _id, ...values } = next;
      await trx.updateTable('webhook_endpoints').set(values).where('id', '=', id).execute();
      const before = toEndpoint(row);
      const after = toEndpoint(next);
      await this.deps.events.record(trx, ctx, { action: 'webhook_endpoint.updated', targetType: 'webhook_endpoint', targetId: id, before, after });
      return after;
    });
  }

  /** Deletes an endpoint with its delivery log; queued attempts find nothing to send. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.changeEndpoints(async (trx) => {
      const row = await findEndpointRow(trx, id);
      if (!row) throw notFound('Webhook endpoint', id);
      await trx.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', trx.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id)).execute();
      await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
      await trx.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
      await this.deps.events.record(trx, ctx, { action: 'webhook_endpoint.deleted', targetType: 'webhook_endpoint', targetId: id, before: toEndpoint(row) });
    });
  }

  /**
   * Replaces the signing secret and returns the new one (shown only now). With `overlapHours`, the
   * previous secret keeps signing too (a second `v1` in the header) until then, so receivers can switch
   * without losing a delivery; without it the old secret stops at once (a leaked secret).
   */
  async rotateSecret(ctx: RequestContext, id: string, overlapHours = 0): Promise<WebhookEndpoint & { secret: string }> {
    const secret = newSecret();
    return this.changeEndpoints(async (trx) => {
      const row = await findEndpointRow(trx, id);
      if (!row) throw notFound('Webhook endpoint', id);
      const now = this.deps.clock.now();
      const next = {
        ...row,
        secret_ciphertext: this.deps.keyring.encrypt(WEBHOOK_SECRET_PURPOSE, secret),
        secret_hint: secret.slice(-4),
        previous_secret_ciphertext: overlapHours > 0 ? row.secret_ciphertext : null,
        previous_secret_expires_at: overlapHours > 0 ? new Date(now.getTime() + overlapHours * 3_600_000).toISOString() : null,
        updated_at: now.toISOString(),
      };
      const { id: _id, ...values } = next;
      await trx.updateTable('webhook_endpoints').set(values).where('id', '=', id).execute();
      const after = toEndpoint(next);
      await this.deps.events.record(trx, ctx, {
        action: 'webhook_endpoint.secret_rotated',
        targetType: 'webhook_endpoint',
        targetId: id,
        before: { secretHint: row.secret_hint },
        after: { secretHint: after.secretHint, previousSecretExpiresAt: after.previousSecretExpiresAt },
      });
      return { ...after, secret };
    });
  }

  /** Runs an endpoint change in a transaction and drops the cached subscriptions once it is over. */
  private async changeEndpoints<T>(change: (trx: Executor) => Promise<T>): Promise<T> {
    try {
      return await this.deps.db.transaction().execute(change);
    } finally {
      this.invalidate();
    }
  }

  private checkUrl(raw: string): string {
    const checked = checkWebhookUrl(raw, this.deps.allowPrivate);
    if (!checked.ok) throw new AppError('VALIDATION_FAILED', `The URL ${checked.reason}`, { fields: { url: checked.reason } });
    return checked.url;
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function normalizeEvents(events: readonly string[]): string[] {
  const unique = [...new Set(events)];
  return unique.includes('*') ? ['*'] : unique;
}
