import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { signingString } from '../http/signing.js';

/** An Ed25519 public key from the base64 raw 32 bytes `GET /v1/public-key` gives. */
export function publicKeyFromRaw(publicKeyB64: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyB64, 'base64').toString('base64url') }, format: 'jwk' });
}

/**
 * Verifies Keyhaven-Signature the way a client would, from the public key endpoint alone: over the
 * answer's Date, the method and path, the status the client received and the nonce it sent (none when
 * `nonce` is omitted).
 */
export function verifySignature(
  publicKeyB64: string,
  res: { headers: Record<string, unknown>; raw: string; status: number },
  method: string,
  path: string,
  nonce?: string,
): boolean {
  const header = String(res.headers['keyhaven-signature']);
  const match = /keyid="([^"]+)", algorithm="ed25519", signature="([^"]+)"/.exec(header);
  if (!match) return false;
  const data = signingString(String(res.headers.date), method, path, res.status, nonce, res.raw);
  return verify(null, Buffer.from(data), publicKeyFromRaw(publicKeyB64), Buffer.from(match[2]!, 'base64'));
}
