import type { Timestamp, Bool, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string | null;
  /** JSON array of event types, patterns like `license.*`, or `*`. */
  events: JsonText;
  /** AES-256-GCM (Keyring, purpose `webhook-secret`). */
  secret_ciphertext: string;
  secret_hint: string;
  /** After a rotation with an overlap: the old secret, still signing until `previous_secret_expires_at`. */
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Timestamp | null;
  enabled: Bool;
  disabled_reason: string | null;
  disabled_at: Timestamp | null;
  /** Failed attempts since the last successful one (automatic deliveries only). */
  consecutive_failures: number;
  /** The first failed attempt since the last successful one; null while healthy. */
  failing_since: Timestamp | null;
  last_success_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: JsonText;
  /** event | test | redelivery */
  kind: string;
  redelivery_of: string | null;
  /** pending | sending | delivered | failed */
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Timestamp | null;
  claim_token: string | null;
  claimed_until: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  at: Timestamp;
  status_code: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  success: Bool;
}
