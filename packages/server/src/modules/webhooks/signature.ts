import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, Stripe's scheme: `Keyhaven-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
 * HMAC-SHA256 under the endpoint's secret (the whole `whsec_…` string as UTF-8 bytes) of
 * `"<t>.<raw request body>"`. While a rotated secret's overlap lasts, the header carries one `v1` per
 * valid secret; a receiver accepts the request when any of them matches its secret.
 *
 * This file has no dependency on the rest of the server, so a receiver written in TypeScript can copy it.
 */

export const SIGNATURE_HEADER = 'Keyhaven-Signature';

/** The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`. */
export function computeWebhookSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The header value for a body sent at `timestamp` (unix seconds), one `v1` per secret. */
export function webhookSignatureHeader(secrets: readonly string[], timestamp: number, body: string | Buffer): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${computeWebhookSignature(secret, timestamp, body)}`)].join(',');
}

/** The parts of a signature header; undefined when it is malformed. */
export function parseWebhookSignatureHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (/^[0-9a-f]{64}$/.test(value)) signatures.push(value);
    }
    // Other schemes (v0, future versions) are ignored, as Stripe's libraries do.
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/**
 * What a receiver does with every request: true when `header` (the `Keyhaven-Signature` value) holds a
 * `v1` signature of `rawBody` under `secret` and its timestamp is within `toleranceSeconds` of `now`
 * (replay protection). Compare in constant time; verify the raw bytes received, before any JSON parsing.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  toleranceSeconds = 300,
  now: number | Date = Date.now(),
): boolean {
  if (typeof header !== 'string') return false;
  const parsed = parseWebhookSignatureHeader(header);
  if (!parsed) return false;
  const nowSeconds = Math.floor((typeof now === 'number' ? now : now.getTime()) / 1000);
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(computeWebhookSignature(secret, parsed.timestamp, rawBody), 'hex');
  let match = false;
  for (const candidate of parsed.signatures) {
    // Every candidate is compared (no early exit), each in constant time.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = true;
  }
  return match;
}
