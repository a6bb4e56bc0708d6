import type { AuditEvent } from '../events/events.service.js';

/**
 * Field names whose values never leave in a payload, wherever they appear (audit events hold none today:
 * license keys, tokens and passwords are stored only as digests or ciphertext and kept out of events;
 * this is the second line). Vendor `metadata` is passed on as stored.
 */
const SECRET_FIELDS = new Set([
  'key',
  'licenseKey',
  'token',
  'secret',
  'password',
  'passwordHash',
  'password_hash',
  'keyDigest',
  'key_digest',
  'keyCiphertext',
  'key_ciphertext',
  'tokenDigest',
  'token_digest',
  'secretCiphertext',
  'secret_ciphertext',
]);

function withoutSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return withoutSecrets(json.call(value), depth);
  if (depth > 32) return null;
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    if (SECRET_FIELDS.has(name)) continue;
    out[name] = name === 'metadata' ? child : withoutSecrets(child, depth + 1);
  }
  return out;
}

/** The request body of a webhook. `id` is the event id: the same in every delivery of the event. */
export interface WebhookPayload {
  id: string;
  type: string;
  createdAt: string;
  data: {
    target: { type: string; id: string };
    customerId: string | null;
    actor: { type: string; id: string | null };
    before: unknown;
    after: unknown;
  };
}

export function payloadOf(event: AuditEvent): WebhookPayload {
  return {
    id: event.id,
    type: event.action,
    createdAt: event.at,
    data: {
      target: event.target,
      customerId: event.customerId,
      actor: event.actor,
      before: withoutSecrets(event.before),
      after: withoutSecrets(event.after),
    },
  };
}
