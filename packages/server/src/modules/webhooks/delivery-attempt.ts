import type { Keyring } from '../../crypto/keyring.js';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { newId } from '../../lib/ids.js';
import type { EventsService } from '../events/events.service.js';
import { postWebhook, type SendResult } from './sender.js';
import { SIGNATURE_HEADER, webhookSignatureHeader } from './signature.js';
import { WEBHOOK_SECRET_PURPOSE } from './webhook-endpoints.service.js';
import { findEndpointRow, toEndpoint, type DeliveryRow, type EndpointRow } from './webhooks.repository.js';

/**
 * Waits before the 2nd, 3rd, ... attempt of an event's delivery: 1 min, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h. Eight attempts in all, the last one about 27.6 hours after the first.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [60_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const MAX_EVENT_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** An endpoint none of whose attempts got through for this long is disabled (at its next failure). */
export const DISABLE_AFTER_FAILING_MS = 24 * 3_600_000;
export const USER_AGENT = 'Keyhaven-Webhooks/1';

export interface SendAttemptOptions {
  keyring: Keyring;
  timeoutMs: number;
  /** KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: requests may go to private addresses. */
  allowPrivate: boolean;
  /** Aborts the request (the worker is stopping). */
  signal?: AbortSignal;
}

/**
 * Attempt number `attempt` of a delivery: one POST of its body, signed with the endpoint's secret (and,
 * while a rotation's grace period runs, its previous one too, so the receiver may check either). Never
 * throws: a timeout, a refused address or an error status is a failed result (see postWebhook).
 */
export function sendAttempt(endpoint: EndpointRow, row: DeliveryRow, attempt: number, now: Date, options: SendAttemptOptions): Promise<SendResult> {
  const { keyring } = options;
  const secrets = [keyring.decrypt(WEBHOOK_SECRET_PURPOSE, endpoint.secret_ciphertext).toString('utf8')];
  if (endpoint.previous_secret_ciphertext && endpoint.previous_secret_expires_at && Date.parse(toIso(endpoint.previous_secret_expires_at)) > now.getTime()) {
    secrets.push(keyring.decrypt(WEBHOOK_SECRET_PURPOSE, endpoint.previous_secret_ciphertext).toString('utf8'));
  }
  const timestamp = Math.floor(now.getTime() / 1000);
  return postWebhook(
    endpoint.url,
    row.payload,
    {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'keyhaven-webhook-id': row.id,
      'keyhaven-event-id': row.event_id,
      'keyhaven-event-type': row.event_type,
      'keyhaven-delivery-attempt': String(attempt),
      [SIGNATURE_HEADER.toLowerCase()]: webhookSignatureHeader(secrets, timestamp, row.payload),
    },
    { timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate, signal: options.signal },
  );
}

export interface RecordAttemptDeps {
  events: EventsService;
  /** Enqueues the job of the delivery's next attempt, due at `runAt`, with the caller's transaction. */
  enqueueAttempt: (executor: Executor, deliveryId: string, attempt: number, runAt: Date) => Promise<void>;
}

/** One attempt's result, as the worker that claimed it (with `token`) saw it at `at`. */
export interface AttemptOutcome {
  row: DeliveryRow;
  attempt: number;
  token: string;
  result: SendResult;
  at: Date;
}

/**
 * Writes one attempt's outcome and decides what follows: delivered; another attempt after the retry
 * schedule; failed for good (the last attempt, or a test or redelivery, which get one); and, for event
 * deliveries, the endpoint's failure streak, which disables it once nothing got through for
 * DISABLE_AFTER_FAILING_MS. Returns whether the endpoint was disabled by it. Throws LostClaim when the
 * claim went to another worker meanwhile (the caller's transaction then records nothing).
 */
export async function recordAttempt(trx: Executor, deps: RecordAttemptDeps, outcome: AttemptOutcome): Promise<boolean> {
  const { row, attempt, token, result, at } = outcome;
  const atIso = at.toISOString();
  const counts = row.kind === 'event';
  await trx
    .insertInto('webhook_delivery_attempts')
    .values({
      id: newId('wha'),
      delivery_id: row.id,
      attempt,
      at: atIso,
      status_code: result.statusCode,
      response_body: result.responseBody,
      duration_ms: result.durationMs,
      error: result.error === null ? null : result.error.slice(0, 1000),
      success: result.success ? 1 : 0,
    })
    .execute();
  const delivery = trx.updateTable('webhook_deliveries').where('id', '=', row.id).where('status', '=', 'sending').where('claim_token', '=', token);
  const common = { claim_token: null, claimed_until: null, last_status_code: result.statusCode, updated_at: atIso };

  if (result.success) {
    const done = await delivery.set({ ...common, status: 'delivered', last_error: null, next_attempt_at: null, delivered_at: atIso }).executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) throw new LostClaim();
    if (counts) {
      await trx.updateTable('webhook_endpoints').set({ consecutive_failures: 0, failing_since: null, last_success_at: atIso }).where('id', '=', row.endpoint_id).execute();
    }
    return false;
  }

  let disable = false;
  let failingSince: string | null = null;
  if (counts) {
    const endpoint = await trx
      .updateTable('webhook_endpoints')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1), failing_since: eb.fn.coalesce('failing_since', eb.val(atIso)) }))
      .where('id', '=', row.endpoint_id)
      .returning(['enabled', 'failing_since'])
      .executeTakeFirst();
    failingSince = endpoint?.failing_since ? toIso(endpoint.failing_since) : null;
    disable = Boolean(endpoint?.enabled) && failingSince !== null && at.getTime() - Date.parse(failingSince) >= DISABLE_AFTER_FAILING_MS;
  }
  const final = !counts || disable || attempt >= row.max_attempts;
  const next = final ? null : new Date(at.getTime() + RETRY_SCHEDULE_MS[Math.min(attempt - 1, RETRY_SCHEDULE_MS.length - 1)]!);
  const error = disable ? `${result.error}; the endpoint was disabled` : result.error;
  const updated = await delivery
    .set({ ...common, status: final ? 'failed' : 'pending', last_error: error, next_attempt_at: next ? next.toISOString() : null })
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw new LostClaim();
  if (next) await deps.enqueueAttempt(trx, row.id, attempt + 1, next);

  if (disable) {
    const reason = `Every delivery attempt failed for more than ${DISABLE_AFTER_FAILING_MS / 3_600_000} hours (since ${failingSince}); last error: ${result.error}`;
    const before = await findEndpointRow(trx, row.endpoint_id);
    await trx.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: reason, disabled_at: atIso, updated_at: atIso }).where('id', '=', row.endpoint_id).execute();
    const after = await findEndpointRow(trx, row.endpoint_id);
    await deps.events.record(trx, { actor: { ...SYSTEM_ACTOR, label: 'webhooks' } }, {
      action: 'webhook_endpoint.disabled',
      targetType: 'webhook_endpoint',
      targetId: row.endpoint_id,
      before: before && toEndpoint(before),
      after: after && toEndpoint(after),
    });
  }
  return disable;
}

/** The attempt's claim went to another worker meanwhile (this one was too slow): record nothing. */
export class LostClaim extends Error {}
