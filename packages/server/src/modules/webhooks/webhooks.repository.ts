import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { WebhookDeliveriesTable, WebhookDeliveryAttemptsTable, WebhookEndpointsTable } from './webhooks.tables.js';

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DELIVERY_KINDS = ['event', 'test', 'redelivery'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

/** An endpoint as staff see it: never the secret (only its last characters). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** Failed attempts since the last successful one. */
  consecutiveFailures: number;
  /** When the current run of failures began; null while deliveries get through. */
  failingSince: string | null;
  lastSuccessAt: string | null;
  secretHint: string;
  /** After a rotation with an overlap: until when the previous secret still signs too. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  /** `event`: from the audit log, retried on failure; `test`, `redelivery`: sent by staff, one attempt. */
  kind: DeliveryKind;
  redeliveryOf: string | null;
  status: DeliveryStatus;
  attemptCount: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  /** The first KiB of the receiver's answer. */
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  success: boolean;
}

export interface WebhookDeliveryDetail extends WebhookDelivery {
  /** The request body, as sent. */
  payload: unknown;
  attempts: WebhookAttempt[];
}

export type EndpointRow = Selectable<WebhookEndpointsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: parseJson(row.events, []),
    enabled: Boolean(row.enabled),
    disabledReason: row.disabled_reason,
    disabledAt: toIso(row.disabled_at),
    consecutiveFailures: row.consecutive_failures,
    failingSince: toIso(row.failing_since),
    lastSuccessAt: toIso(row.last_success_at),
    secretHint: row.secret_hint,
    previousSecretExpiresAt: toIso(row.previous_secret_expires_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    kind: row.kind as DeliveryKind,
    redeliveryOf: row.redelivery_of,
    status: row.status as DeliveryStatus,
    attemptCount: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.status === 'pending' ? toIso(row.next_attempt_at) : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: toIso(row.delivered_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toAttempt(row: Selectable<WebhookDeliveryAttemptsTable>): WebhookAttempt {
  return {
    attempt: row.attempt,
    at: toIso(row.at),
    statusCode: row.status_code,
    responseBody: row.response_body,
    durationMs: row.duration_ms,
    error: row.error,
    success: Boolean(row.success),
  };
}

export async function findEndpointRow(db: Executor, id: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listEndpointRows(db: Executor, limit: number, cursor?: string): Promise<EndpointRow[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('id', 'desc').limit(limit + 1);
  if (cursor) query = query.where('id', '<', cursor);
  return query.execute();
}

/** The subscriptions of every enabled endpoint: what the fan-out needs, nothing more. */
export async function enabledSubscriptions(db: Executor): Promise<{ id: string; events: string[] }[]> {
  const rows = await db.selectFrom('webhook_endpoints').select(['id', 'events']).where('enabled', '=', 1).execute();
  return rows.map((row) => ({ id: row.id, events: parseJson<string[]>(row.events, []) }));
}

export async function findDeliveryRow(db: Executor, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  eventType?: string;
  limit: number;
  cursor?: string;
}

export async function listDeliveryRows(db: Executor, endpointId: string, filter: DeliveryFilter): Promise<DeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.eventType) query = query.where('event_type', '=', filter.eventType);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return query.execute();
}

export async function listAttempts(db: Executor, deliveryId: string): Promise<WebhookAttempt[]> {
  const rows = await db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt').execute();
  return rows.map(toAttempt);
}

export interface NewDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: string;
  kind: DeliveryKind;
  redeliveryOf: string | null;
  maxAttempts: number;
  at: string;
}

export async function insertDeliveries(db: Executor, deliveries: readonly NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await db
    .insertInto('webhook_deliveries')
    .values(
      deliveries.map((d) => ({
        id: d.id,
        endpoint_id: d.endpointId,
        event_id: d.eventId,
        event_type: d.eventType,
        payload: d.payload,
        kind: d.kind,
        redelivery_of: d.redeliveryOf,
        status: 'pending',
        attempts: 0,
        max_attempts: d.maxAttempts,
        next_attempt_at: d.at,
        claim_token: null,
        claimed_until: null,
        last_status_code: null,
        last_error: null,
        delivered_at: null,
        created_at: d.at,
        updated_at: d.at,
      })),
    )
    .execute();
}
