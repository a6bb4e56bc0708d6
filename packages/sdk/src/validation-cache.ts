import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseSignatureHeader, signingString, verifyEd25519 } from './crypto.js';
import { NetworkError } from './errors.js';
import type { ValidateInput, ValidationResult } from './types.js';
import { scopeMismatch } from './validation-scope.js';

/**
 * The last good validation, kept on disk so that an application can keep working for a vendor-set offline
 * grace period while the server cannot be reached.
 *
 * What is stored is the server's signed answer exactly as received (status, the random nonce its request
 * carried, body, Date, signature), so editing the file breaks the signature. The answer itself states,
 * under that signature, what it covers (`scope`: fingerprint, product, features, domain) and for which key
 * (`keyDigest`); offline it stands in only for a request with the same key and scope, so a cache copied
 * from another machine, kept for another product or features, or obtained with a narrower request (no
 * fingerprint, no product) is refused. The grace counts from the server's signed Date (or its `ts`, the
 * earlier), never from the file. The file also remembers the latest time seen, so setting the clock back
 * does not stretch the grace period.
 */
export interface ValidationCacheOptions {
  /** Where the last good validation is kept (a small JSON file; its directory is created). */
  path: string;
  /** How long after the last good online validation the application may keep working offline. */
  offlineGraceMs: number;
  /** How far the clock may run behind a time already seen before it counts as set back. Default 5 minutes. */
  clockToleranceMs?: number;
}

/**
 * Why the cache may not stand in. `SCOPE_MISMATCH`: a genuine answer, but for another key, machine,
 * product, features or domain than the application's request now.
 */
export type OfflineGraceFailure = 'NO_CACHE' | 'GRACE_EXPIRED' | 'CLOCK_ROLLBACK' | 'INVALID_CACHE' | 'SCOPE_MISMATCH' | 'LICENSE_EXPIRED';

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

/** A signed validation answer as received: everything its signature covers. */
export interface SignedValidation {
  method: string;
  path: string;
  status: number;
  /** The random nonce the request carried. */
  nonce: string;
  date: string;
  signature: string;
  body: Buffer;
}

/** The file: the signed answer (body as base64 of the exact bytes), when it arrived, and the latest time seen. */
interface CacheFile extends Omit<SignedValidation, 'body'> {
  v: 2;
  body: string;
  /** Local time of receipt: it can only shorten the grace (a server clock ahead of this one), never lengthen it. */
  receivedAt: string;
  latestSeen: string;
}

export const DEFAULT_CACHE_CLOCK_TOLERANCE_MS = 5 * 60_000;

const VALIDATE_PATH = /(^|\/)v1\/licenses\/validate$/;

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
      v: 2,
      method: answer.method,
      path: answer.path,
      status: answer.status,
      nonce: answer.nonce,
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
 * The cached validation, if it may stand in for the server now: its signature (over status, nonce and
 * body), that it is a valid 200 validation for this key and exactly this request's scope, the grace period,
 * the clock and the license's own end are all checked. Throws OfflineGraceError.
 */
export function loadValidation(
  options: ValidationCacheOptions,
  publicKey: KeyObject,
  input: ValidateInput,
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
  let file: Partial<CacheFile> | null;
  try {
    file = JSON.parse(text) as Partial<CacheFile> | null;
  } catch {
    return fail('INVALID_CACHE', 'the cached validation is not readable');
  }
  if (
    file === null ||
    typeof file !== 'object' ||
    file.v !== 2 ||
    typeof file.method !== 'string' ||
    typeof file.path !== 'string' ||
    typeof file.status !== 'number' ||
    typeof file.nonce !== 'string' ||
    typeof file.date !== 'string' ||
    typeof file.signature !== 'string' ||
    typeof file.body !== 'string'
  ) {
    return fail('INVALID_CACHE', 'the cached validation is not a Keyhaven validation (or was written by an older SDK)');
  }
  const body = Buffer.from(file.body, 'base64');
  const parsed = parseSignatureHeader(file.signature);
  if (!parsed || !verifyEd25519(publicKey, signingString(file.date, file.method, file.path, file.status, file.nonce, body), parsed.signature)) {
    return fail('INVALID_CACHE', 'the cached validation is not signed by the license server (altered?)');
  }
  if (file.method.toUpperCase() !== 'POST' || !VALIDATE_PATH.test(file.path) || file.status !== 200) {
    return fail('INVALID_CACHE', 'the cached answer is not a validation');
  }
  let result: ValidationResult | null;
  try {
    result = JSON.parse(body.toString('utf8')) as ValidationResult | null;
  } catch {
    return fail('INVALID_CACHE', 'the cached validation is not JSON');
  }
  if (result === null || typeof result !== 'object' || result.nonce !== file.nonce) return fail('INVALID_CACHE', 'the cached validation is not well formed');
  const mismatch = scopeMismatch(result, input);
  if (mismatch !== undefined) return fail('SCOPE_MISMATCH', `the cached validation does not cover this request: ${mismatch}`);
  if (result.valid !== true) return fail('INVALID_CACHE', 'the cached validation is not a valid one');

  // Counted from what the server signed (its Date and its `ts`), or from the local time of receipt when
  // that is earlier (a server clock ahead of this one): the earliest of the three, so an edited file (or
  // its mtime) can shorten the grace period but never lengthen it.
  const receivedAt = typeof file.receivedAt === 'string' ? Date.parse(file.receivedAt) || Number.POSITIVE_INFINITY : Number.POSITIVE_INFINITY;
  const validatedAt = Math.min(Date.parse(file.date), Date.parse(result.ts) || Number.POSITIVE_INFINITY, receivedAt);
  if (!Number.isFinite(validatedAt)) return fail('INVALID_CACHE', 'the cached validation has no date');
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
