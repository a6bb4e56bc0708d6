import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { ClientLicense } from './types.js';

/**
 * The armoured text formats that carry licenses to machines without network, written by the server and
 * read by this SDK (and the other way round for activation requests): the one definition of both, which
 * the server imports as `@keyhaven/sdk/format`. Plain text, so they survive e-mail, USB sticks and
 * copy-paste into a license textbox.
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

/** The armoured envelope: `sig` is Ed25519 over the `payload` string as written. */
export interface LicenseFileEnvelope {
  v: 1;
  alg: 'ed25519';
  keyId: string;
  enc: 'none' | 'aes-256-gcm';
  payload: string;
  sig: string;
}

/** What a license file asserts; the SDK reads these fields only after checking the signature. */
export interface LicenseFilePayload<License = ClientLicense> {
  kind: 'keyhaven.license-file';
  license: License;
  features: string[];
  maxMachines: number | null;
  /** The machine the file is bound to, or null for a file any machine may use. */
  fingerprint: string | null;
  /**
   * Signed by the server: the license may use unbound files (true only without a seat limit: no
   * maxMachines, no maxUsers). Absent in files from older servers, which counts as false.
   */
  unboundAllowed?: boolean;
  issuedAt: string;
  /** Not to be trusted after this instant: the earlier of the license's end and issuedAt + ttl. */
  expiresAt: string;
  /** The lifetime granted: the days asked for (default 30), clamped to the policy's offlineMaxDays. */
  ttlDays: number;
  licenseExpiresAt: string | null;
  keyId: string;
  nonce?: string;
}

export function armor(label: string, json: unknown): string {
  const body = Buffer.from(JSON.stringify(json)).toString('base64');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Why `readArmor` found no JSON: no block with that label, a body that is not base64, or not JSON. */
export type ArmorProblem = 'NO_BLOCK' | 'NOT_BASE64' | 'NOT_JSON';

/** Reads an armoured block out of any surrounding text (e-mail, a textbox, CRLF line ends). */
export function readArmor(label: string, text: string): { json: unknown } | { problem: ArmorProblem; cause?: unknown } {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const from = text.indexOf(begin);
  const to = from === -1 ? -1 : text.indexOf(end, from + begin.length);
  if (from === -1 || to === -1) return { problem: 'NO_BLOCK' };
  const body = text.slice(from + begin.length, to).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return { problem: 'NOT_BASE64' };
  try {
    return { json: JSON.parse(Buffer.from(body, 'base64').toString('utf8')) };
  } catch (cause) {
    return { problem: 'NOT_JSON', cause };
  }
}

/** An armoured block's JSON; undefined when there is none or it is not JSON. */
export function dearmor(label: string, text: string): unknown {
  const read = readArmor(label, text);
  return 'json' in read ? read.json : undefined;
}

/** The AES-256-GCM key of an encrypted license file: only the license key and the machine's fingerprint give it. */
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
  if (raw.length < 12 + 16) throw new Error('sealed payload too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}

/** The format name in `manifest.json` of an offline update bundle. */
export const BUNDLE_FORMAT = 'keyhaven-update-bundle/1';

/** `manifest.json` of an offline update bundle: what the server signs into `manifest.sig`. */
export interface UpdateBundleManifest {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  /** The instance key that signed `manifest.sig` and `artifact.signature`. */
  keyId: string;
  product: { id: string; code: string; name: string };
  release: { id: string; version: string; channel: string; publishedAt: string | null; notes: string };
  artifact: { id: string; fileName: string; platform: string; arch: string; fileType: string; size: number; sha256: string; signature: string };
}
