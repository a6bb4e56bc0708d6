import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The armoured text formats that carry licenses to machines without network. Both are plain text so they
 * survive e-mail, USB sticks and copy-paste into a license textbox.
 *
 *   -----BEGIN KEYHAVEN LICENSE FILE-----
 *   base64 of {"v":1,"alg":"ed25519","keyId":..,"enc":"none"|"aes-256-gcm","payload":<base64>,"sig":<base64>}
 *   -----END KEYHAVEN LICENSE FILE-----
 *
 * `sig` is the Ed25519 signature of the `payload` string (the base64 text itself, as sent), so a verifier
 * checks the signature before decoding anything. With `enc: "aes-256-gcm"`, `payload` is
 * base64(iv ‖ ciphertext ‖ tag) under SHA-256("keyhaven-license-file\0" + canonical key + "\0" +
 * fingerprint): only a machine that knows both can read the terms; anyone can still check the signature.
 */
export const LICENSE_FILE_LABEL = 'KEYHAVEN LICENSE FILE';
export const ACTIVATION_REQUEST_LABEL = 'KEYHAVEN ACTIVATION REQUEST';

export interface LicenseFileEnvelope {
  v: 1;
  alg: 'ed25519';
  keyId: string;
  enc: 'none' | 'aes-256-gcm';
  payload: string;
  sig: string;
}

export function armor(label: string, json: unknown): string {
  const body = Buffer.from(JSON.stringify(json)).toString('base64');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Reads an armoured block out of any surrounding text; undefined when there is none or it is not JSON. */
export function dearmor(label: string, text: string): unknown {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from + begin.length);
  if (from === -1 || to === -1) return undefined;
  const body = text.slice(from + begin.length, to).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

export function fileKey(canonicalKey: string, fingerprint: string): Buffer {
  return createHash('sha256').update('keyhaven-license-file\0').update(canonicalKey).update('\0').update(fingerprint).digest();
}

export function sealPayload(json: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

export function openPayload(sealed: string, key: Buffer): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}
