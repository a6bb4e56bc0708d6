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

export type SignatureFailure = 'MISSING' | 'INVALID' | 'STALE' | 'NONCE_MISMATCH' | 'MALFORMED';

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
