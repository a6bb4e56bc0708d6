import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A public key as the SDK accepts it: base64 of the raw 32 bytes (GET /v1/public-key `publicKey`), a PEM, or a KeyObject. */
export type PublicKeyInput = string | KeyObject;

export interface LoadedKey {
  key: KeyObject;
  /** The key id the server derives from the key (`ed25519-` + 16 hex of SHA-256 of the raw key). */
  keyId: string;
}

/**
 * Keys already loaded, by input. Applications pass the same key (a string from their configuration) on
 * every call, and building the KeyObject and its id costs about a tenth of an Ed25519 verification.
 * Only keys that loaded are kept; a bad input throws every time.
 */
const loadedByText = new Map<string, LoadedKey>();
const loadedByObject = new WeakMap<KeyObject, LoadedKey>();
/** Distinct key strings remembered (the oldest is dropped): a process uses one key, or a few during a rotation. */
const MAX_LOADED_TEXT_KEYS = 16;

export function loadPublicKey(input: PublicKeyInput): LoadedKey {
  const cached = typeof input === 'string' ? loadedByText.get(input) : loadedByObject.get(input);
  if (cached) return { ...cached };
  const loaded = parsePublicKey(input);
  if (typeof input === 'string') {
    if (loadedByText.size >= MAX_LOADED_TEXT_KEYS) loadedByText.delete(loadedByText.keys().next().value!);
    loadedByText.set(input, loaded);
  } else {
    loadedByObject.set(input, loaded);
  }
  return { ...loaded };
}

function parsePublicKey(input: PublicKeyInput): LoadedKey {
  let key: KeyObject;
  if (typeof input !== 'string') {
    key = input;
  } else if (input.includes('-----BEGIN')) {
    key = createPublicKey(input);
  } else {
    const raw = Buffer.from(input.trim(), 'base64');
    if (raw.length !== 32) throw new TypeError('publicKey: expected base64 of a raw 32-byte Ed25519 key, or a PEM');
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') throw new TypeError('publicKey: not an Ed25519 public key');
  const x = key.export({ format: 'jwk' }).x;
  if (!x) throw new TypeError('publicKey: cannot read the key');
  const keyId = 'ed25519-' + createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex').slice(0, 16);
  return { key, keyId };
}

/** Ed25519 verification that never throws: false for anything that is not a valid signature. */
export function verifyEd25519(key: KeyObject, data: string | Buffer, signatureBase64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length !== 64) return false;
  try {
    return verify(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key, signature);
  } catch {
    return false;
  }
}

/**
 * The string the server signs (CONTRACT.md, revision 2), lines joined by `\n`: `<Date>`,
 * `<lowercase method> <path>`, `<status>`, `nonce=<the request's nonce, or nothing>`,
 * `sha-256=<base64 SHA-256 of the body>`. Status and nonce are in it so that an authentic answer cannot be
 * moved to another status or to another request.
 */
export function signingString(date: string, method: string, path: string, status: number, nonce: string | undefined, body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest('base64');
  return `${date}\n${method.toLowerCase()} ${path}\n${status}\nnonce=${nonce ?? ''}\nsha-256=${digest}`;
}

/** What a validation answer's `keyDigest` must be for this key: base64url SHA-256 of `keyhaven-license-key`, NUL, the canonical key. */
export function licenseKeyDigest(key: string): string {
  return createHash('sha256').update('keyhaven-license-key\0').update(canonicalLicenseKey(key)).digest('base64url');
}

/** Parses `keyid="..", algorithm="..", signature=".."`; undefined when a part is missing. */
export function parseSignatureHeader(header: string): { keyId: string; algorithm: string; signature: string } | undefined {
  const parts = new Map<string, string>();
  for (const match of header.matchAll(/([A-Za-z]+)\s*=\s*"([^"]*)"/g)) parts.set(match[1]!.toLowerCase(), match[2]!);
  const keyId = parts.get('keyid');
  const algorithm = parts.get('algorithm');
  const signature = parts.get('signature');
  if (keyId === undefined || algorithm === undefined || signature === undefined) return undefined;
  return { keyId, algorithm, signature };
}

/** Crockford normalization of a license key as the server digests it: uppercase, no dashes/spaces, O→0, I/L→1. */
export function canonicalLicenseKey(key: string): string {
  return key.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
