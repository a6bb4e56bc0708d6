/** Base class of every error the SDK throws, so `catch (e) { if (e instanceof KeyhavenSdkError) ... }` works. */
export class KeyhavenSdkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server answered, the answer is authentic, and it is an error (`{error: {code, message, details}}`). */
export class KeyhavenError extends KeyhavenSdkError {
  constructor(
    /** The contract's error code, e.g. `TOO_MANY_MACHINES`, `NOT_FOUND`, `VALIDATION_FAILED`, `RATE_LIMITED`. */
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> | undefined = undefined,
    /** Seconds, from `Retry-After` (429). */
    readonly retryAfter: number | undefined = undefined,
  ) {
    super(message);
  }
}

/** The server could not be reached, timed out, or answered with an unsigned 5xx (e.g. a proxy's error page). */
export class NetworkError extends KeyhavenSdkError {
  constructor(
    message: string,
    readonly status: number | undefined = undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Why an answer was refused. `SCOPE_MISMATCH`: an authentic validation answer that covers another
 * fingerprint, product, features, domain or key than the request (an answer to someone else's question).
 */
export type SignatureFailure = 'MISSING' | 'INVALID' | 'STALE' | 'NONCE_MISMATCH' | 'SCOPE_MISMATCH' | 'MALFORMED';

/**
 * The answer cannot be trusted: no signature, a signature that does not verify against the embedded public
 * key, a Date too far from local time, or a nonce that is not the one sent. Treat it like an attack: never
 * grant anything on it.
 */
export class SignatureError extends KeyhavenSdkError {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A SignatureError for an authentic but replayed answer (nonce mismatch or stale Date). */
export class ReplayError extends SignatureError {}

export type LicenseFileErrorCode =
  | 'MALFORMED'
  | 'SIGNATURE_INVALID'
  | 'KEY_REQUIRED'
  | 'WRONG_MACHINE'
  | 'UNBOUND'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'CLOCK_ROLLBACK';

/** A license file was refused; `code` says why. */
export class LicenseFileError extends KeyhavenSdkError {
  constructor(
    readonly code: LicenseFileErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * - `size`: fewer or more bytes than the artifact's size
 * - `checksum`: the SHA-256 of the bytes (or the server's X-Checksum-Sha256) is not the artifact's
 * - `signature`: the Ed25519 signature (of the SHA-256, or of a bundle's manifest) does not verify
 * - `key`: signed with another key than the embedded one (`keyId` differs)
 * - `archive`: a bundle that is not one: truncated, malformed, unexpected or extra entries, path tricks
 */
export type UpdateVerificationFailure = 'size' | 'checksum' | 'signature' | 'key' | 'archive';

/**
 * A downloaded update or an update bundle was refused; `reason` says why. Nothing is left on disk: the
 * `.part` file is deleted before this is thrown. Treat it like an attack: never install what was refused.
 */
export class UpdateVerificationError extends KeyhavenSdkError {
  constructor(
    readonly reason: UpdateVerificationFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
