import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalLicenseKey, parseSignatureHeader, signingString, verifyEd25519 } from './crypto.js';
import { NetworkError } from './errors.js';
import type { ValidationResult } from './types.js';

/**
 * The last good validation, kept on disk so that an application can keep working for a vendor-set offline
 * grace period while the server cannot be reached.
 *
 * What is stored is the server's signed answer exactly as received (body, Date, signature), so editing the
 * file breaks the signature. The nonce sent with that validation is `<random>.<tag>` where tag is a SHA-256
 * over the license key, the machine fingerprint and the random part: the cached answer is bound to this
 * key and this machine, and a cache copied from another machine is refused. The file also remembers the
 * latest time seen, so setting the clock back does not stretch the grace period.
 */
export interface ValidationCacheOptions {
  /** Where the last good validation is kept (a small JSON file; its directory is created). */
  path: string;
  /** How long after the last good online validation the application may keep working offline. */
  offlineGraceMs: number;
  /** How far the clock may run behind a time already seen before it counts as set back. Default 5 minutes. */
  clockToleranceMs?: number;
}

export type OfflineGraceFailure = 'NO_CACHE' | 'GRACE_EXPIRED' | 'CLOCK_ROLLBACK' | 'INVALID_CACHE' | 'LICENSE_EXPIRED';

/**
 * The server could not be reached and no cached validation may stand in for it; `reason` says why, `cause`
 * holds the original NetworkError. A NetworkError, so `catch (e instanceof NetworkError)` still works.
 */
export class OfflineGraceError extends NetworkError {
  constructor(
    readonly reason: OfflineGraceFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

/** A validation answered by the server (`source: "online"`) or taken from the cache (`"cache"`). */
export type CachedValidationResult = ValidationResult & {
  source: 'online' | 'cache';
  /** The server's Date of the validation this result rests on. */
  validatedAt: string;
  /** Until when the application may work offline on this validation. */
  offlineUntil: string;
};

/** The signed answer as received, plus the latest time seen. */
interface CacheFile {
  v: 1;
  method: string;
  path: string;
  date: string;
  signature: string;
  /** base64 of the exact body bytes. */
  body: string;
  /** Local time when the answer was received; the grace counts from the earlier of it and `date`. */
  receivedAt: string;
  latestSeen: string;
}

export interface SignedValidation {
  method: string;
  path: string;
  date: string;
  signature: string;
  body: Buffer;
}

export const DEFAULT_CACHE_CLOCK_TOLERANCE_MS = 5 * 60_000;

function bindingTag(key: string, fingerprint: string, random: string): string {
  return createHash('sha256')
    .update('keyhaven-validation-cache\0')
    .update(canonicalLicenseKey(key))
    .update('\0')
    .update(fingerprint)
    .update('\0')
    .update(random)
    .digest('base64url')
    .slice(0, 32);
}

/** A nonce that binds the signed answer echoing it to this key and machine. */
export function bindingNonce(key: string, fingerprint: string): string {
  const random = randomBytes(12).toString('base64url');
  return `${random}.${bindingTag(key, fingerprint, random)}`;
}

function nonceBinds(nonce: unknown, key: string, fingerprint: string): boolean {
  if (typeof nonce !== 'string') return false;
  const [random, tag, extra] = nonce.split('.');
  return extra === undefined && random !== undefined && tag !== undefined && bindingTag(key, fingerprint, random) === tag;
}

function writeCache(path: string, content: CacheFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** Keeps a good signed validation; called only for `valid: true` answers. Storage errors are ignored. */
export function storeValidation(options: ValidationCacheOptions, answer: SignedValidation, now: Date): void {
  try {
    writeCache(options.path, {
      v: 1,
      method: answer.method,
      path: answer.path,
      date: answer.date,
      signature: answer.signature,
      body: answer.body.toString('base64'),
      receivedAt: now.toISOString(),
      latestSeen: new Date(Math.max(now.getTime(), Date.parse(answer.date))).toISOString(),
    });
  } catch {
    // A read-only location must not turn a valid license into a failure; the offline grace degrades.
  }
}

/** An authoritative invalid answer ends the offline grace at once (a revoked license stays revoked offline). */
export function forgetValidation(options: ValidationCacheOptions): void {
  rmSync(options.path, { force: true });
}

/**
 * The cached validation, if it may stand in for the server now: signature, binding to this key and
 * machine, the grace period, the clock and the license's own end are all checked. Throws OfflineGraceError.
 */
export function loadValidation(
  options: ValidationCacheOptions,
  publicKey: KeyObject,
  input: { key: string; fingerprint?: string },
  now: Date,
  cause: NetworkError,
): CachedValidationResult {
  const fail = (reason: OfflineGraceFailure, message: string): never => {
    throw new OfflineGraceError(reason, `${cause.message}; ${message}`, { cause });
  };
  let text: string;
  try {
    text = readFileSync(options.path, 'utf8');
  } catch {
    return fail('NO_CACHE', 'no earlier validation is cached on this machine');
  }
  let file: Partial<CacheFile>;
  try {
    file = JSON.parse(text) as Partial<CacheFile>;
  } catch {
    return fail('INVALID_CACHE', 'the cached validation is not readable');
  }
  if (
    file.v !== 1 ||
    typeof file.method !== 'string' ||
    typeof file.path !== 'string' ||
    typeof file.date !== 'string' ||
    typeof file.signature !== 'string' ||
    typeof file.body !== 'string'
  ) {
    return fail('INVALID_CACHE', 'the cached validation is not a Keyhaven validation');
  }
  const body = Buffer.from(file.body, 'base64');
  const parsed = parseSignatureHeader(file.signature);
  if (!parsed || !verifyEd25519(publicKey, signingString(file.date, file.method, file.path, body), parsed.signature)) {
    return fail('INVALID_CACHE', 'the cached validation is not signed by the license server (altered?)');
  }
  let result: ValidationResult;
  try {
    result = JSON.parse(body.toString('utf8')) as ValidationResult;
  } catch {
    return fail('INVALID_CACHE', 'the cached validation is not JSON');
  }
  if (!nonceBinds(result.nonce, input.key, input.fingerprint ?? '')) {
    return fail('INVALID_CACHE', 'the cached validation belongs to another license key or machine');
  }
  if (result.valid !== true) return fail('INVALID_CACHE', 'the cached validation is not a valid one');

  // A server clock ahead of this one must not lengthen the grace period (and an edited receivedAt cannot).
  const receivedAt = typeof file.receivedAt === 'string' ? Date.parse(file.receivedAt) : Number.NaN;
  const validatedAt = Number.isNaN(receivedAt) ? Date.parse(file.date) : Math.min(Date.parse(file.date), receivedAt);
  const tolerance = options.clockToleranceMs ?? DEFAULT_CACHE_CLOCK_TOLERANCE_MS;
  const latestSeen = Math.max(validatedAt, typeof file.latestSeen === 'string' ? Date.parse(file.latestSeen) || 0 : 0);
  const at = now.getTime();
  if (at < latestSeen - tolerance) {
    return fail('CLOCK_ROLLBACK', `the system clock is behind a time already seen (${new Date(latestSeen).toISOString()}): it was set back`);
  }
  const offlineUntil = validatedAt + options.offlineGraceMs;
  if (at >= offlineUntil) {
    return fail('GRACE_EXPIRED', `the offline grace period ended at ${new Date(offlineUntil).toISOString()}: connect to the license server`);
  }
  const licenseEnd = result.license?.graceEndsAt ?? result.license?.expiresAt ?? null;
  if (licenseEnd !== null && at >= Date.parse(licenseEnd)) {
    return fail('LICENSE_EXPIRED', `the license ended at ${licenseEnd}`);
  }
  if (at > latestSeen) {
    try {
      writeCache(options.path, { ...(file as CacheFile), latestSeen: new Date(at).toISOString() });
    } catch {
      // Best effort, as above.
    }
  }
  return { ...result, source: 'cache', validatedAt: new Date(validatedAt).toISOString(), offlineUntil: new Date(offlineUntil).toISOString() };
}
