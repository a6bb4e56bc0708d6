import type { PublicKeyInput } from './crypto.js';
import type { paths } from './generated/openapi.js';

// —— Wire types: the server's schemas, from generated/openapi.ts (`npm run contracts`) ——

type Operation<P extends keyof paths> = NonNullable<paths[P]['get'] | paths[P]['post']>;
type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
/** The JSON answer of a client operation with status `S`. */
type Answer<P extends keyof paths, S extends number = 200> = Operation<P> extends { responses: infer Responses } ? (S extends keyof Responses ? JsonOf<Responses[S]> : never) : never;
/** What the application passes to a client operation: its body without the `nonce` the SDK adds. */
type Input<P extends keyof paths> = Operation<P> extends { requestBody?: infer Body } ? Omit<JsonOf<NonNullable<Body>>, 'nonce'> : never;

type Validation = Answer<'/v1/licenses/validate'>;

/** The license as client operations show it (CONTRACT.md). */
export type ClientLicense = NonNullable<Validation['license']>;
/** A machine as activation and heartbeat answers show it; `leaseExpiresAt` null: node-locked. */
export type Machine = Answer<'/v1/machines/heartbeat'>['machine'];
/** The codes of validation answers; newer servers may add codes, so any string may come. */
export type ValidationCode = Validation['code'] | (string & {});
export type ValidateInput = Input<'/v1/licenses/validate'>;
/** What a validation answer covers: the request's fingerprint, product, features and domain as sent (null where not sent). */
export type ValidationScope = Validation['scope'];
/**
 * A validation answer. `scope` (what it covers) and `keyDigest` (base64url SHA-256 of the canonical key)
 * are checked by the SDK against the request, online and from the cache.
 */
export type ValidationResult = Omit<Validation, 'code'> & { code: ValidationCode };

export type ActivateInput = Input<'/v1/machines/activate'>;
export type ActivateResult = Answer<'/v1/machines/activate', 201> & {
  /** true for a new activation (201), false when this fingerprint was already active (200). */
  created: boolean;
};
export type MachineKeyInput = Input<'/v1/machines/heartbeat'>;
export type HeartbeatResult = Answer<'/v1/machines/heartbeat'>;
/**
 * An offline license file: bound to `fingerprint` (activated; required on a license with a seat limit) it
 * borrows the machine's seat until it expires or is checked in; `ttlDays` is clamped to the policy's
 * maximum; `encrypt` defaults to true when a fingerprint is given.
 */
export type CheckoutInput = Input<'/v1/licenses/checkout'>;
export type RecordUsageInput = Input<'/v1/usage'>;
export type UsageResult = Answer<'/v1/usage'>;
export type PublicKeyResult = Answer<'/v1/public-key'>;
/** Every error answer's body (`{error: {code, message, details}}`). */
export type ErrorBody = Answer<'/v1/licenses/validate', 400>;

export type UpdateCheckInput = Input<'/v1/updates/check'>;
type UpdateCheck = Answer<'/v1/updates/check'>;
type Release = NonNullable<UpdateCheck['release']>;
/** A release file offered by the update check, with a signed download link (`url`, about 10 minutes) made for the license. */
export type UpdateArtifact = Release['artifacts'][number];

/** What `downloadUpdate` needs: an UpdateArtifact, or these fields from a download link's answer. */
export type DownloadableArtifact = Pick<UpdateArtifact, 'url' | 'size' | 'sha256' | 'signature' | 'keyId' | 'fileName'>;

/** Fields older servers leave out. */
type Later = 'notesHtml' | 'yankedAt' | 'yankReason' | 'createdAt' | 'updatedAt';
/**
 * A release offered by the update check. `artifacts` is always an array (empty from servers that do not
 * list them); `notesHtml` and the other fields of `Later` may be absent from older servers.
 */
export type UpdateRelease = Omit<Release, Later> & Partial<Pick<Release, Later>>;

export type UpdateCheckResult = Omit<UpdateCheck, 'code' | 'release'> & {
  /** The license's validation code: no update is offered unless it is VALID (or GRACE_PERIOD). */
  code: ValidationCode;
  release?: UpdateRelease;
};

export interface DownloadProgress {
  received: number;
  total: number;
}

export interface DownloadUpdateOptions {
  /** Where the verified file goes; it is written to `destination + '.part'` and renamed only once verified. */
  destination: string;
  /** Called after each chunk written. An exception thrown here cancels the download. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download (the part file is removed, the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface DownloadedUpdate {
  path: string;
  size: number;
  sha256: string;
}


import type { UpdateBundleManifest } from './format.js';
export type { UpdateBundleManifest };

export interface VerifyUpdateBundleOptions {
  /** The server's public key embedded in the application (base64 raw, PEM or KeyObject). */
  publicKey: PublicKeyInput;
  /** A directory: the verified payload is written there as `<fileName>` (through `<fileName>.part`). */
  extractTo?: string;
}

export interface VerifiedUpdateBundle {
  manifest: UpdateBundleManifest;
  /** The extracted payload, when `extractTo` was given. */
  path?: string;
}
