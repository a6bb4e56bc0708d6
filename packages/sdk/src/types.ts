import type { PublicKeyInput } from './crypto.js';

/** The license as client operations show it (CONTRACT.md). */
export interface ClientLicense {
  id: string;
  name: string;
  /** The product code. */
  product: string;
  productId: string;
  type: string;
  status: string;
  startsAt: string;
  expiresAt: string | null;
  graceEndsAt: string | null;
  features: string[];
  domains: string[];
  maxMachines: number | null;
  activeMachines: number;
  floating: boolean;
  heartbeatSeconds: number | null;
  /** What the expiry ends: `access`, or `updates` under the maintenance model (then MAINTENANCE_EXPIRED is valid). */
  expiryEnds?: 'access' | 'updates';
}

export interface Machine {
  id: string;
  licenseId: string;
  fingerprint: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  activatedAt: string;
  lastHeartbeatAt: string | null;
  /** null: node-locked (no heartbeat needed). */
  leaseExpiresAt: string | null;
  /** While an offline license file for this machine is out: its expiry (the seat is held until then). */
  borrowedUntil?: string | null;
  /** At the time of the answer: node-locked, active (floating lease running), borrowed (lease lapsed, offline file out: seat held) or lapsed (the seat is free). */
  leaseState: 'node-locked' | 'active' | 'borrowed' | 'lapsed';
}

export type ValidationCode =
  | 'VALID'
  | 'GRACE_PERIOD'
  | 'MAINTENANCE_EXPIRED'
  | 'NOT_FOUND'
  | 'NOT_STARTED'
  | 'SUSPENDED'
  | 'REVOKED'
  | 'EXPIRED'
  | 'PRODUCT_MISMATCH'
  | 'DOMAIN_NOT_ALLOWED'
  | 'COUNTRY_NOT_ALLOWED'
  | 'FEATURES_MISSING'
  | 'NO_MACHINE'
  | 'FINGERPRINT_NOT_ACTIVATED'
  | 'TOO_MANY_MACHINES'
  | 'HEARTBEAT_DEAD'
  | 'USAGE_EXHAUSTED'
  | (string & {});

export interface ValidateInput {
  key: string;
  fingerprint?: string;
  /** Product id or code the application expects. */
  product?: string;
  domain?: string;
  features?: string[];
  version?: string;
}

/** What a validation answer covers: the request's fingerprint, product, features and domain as sent (null where not sent). */
export interface ValidationScope {
  fingerprint: string | null;
  product: string | null;
  features: string[] | null;
  domain: string | null;
}

export interface ValidationResult {
  valid: boolean;
  code: ValidationCode;
  detail: string;
  ts: string;
  nonce?: string;
  /** What the answer covers; the SDK has checked it equals the request (online and from the cache). */
  scope: ValidationScope;
  /** base64url SHA-256 of the canonical key the answer is for; checked against the key the SDK sent. */
  keyDigest: string;
  license?: ClientLicense;
}

export interface ActivateInput {
  key: string;
  fingerprint: string;
  /** Per-user licenses: the named user the machine belongs to. */
  user?: string;
  name?: string;
  hostname?: string;
  platform?: string;
  metadata?: Record<string, unknown>;
}

export interface ActivateResult {
  machine: Machine;
  license: ClientLicense;
  /** true for a new activation (201), false when this fingerprint was already active (200). */
  created: boolean;
  warning?: 'OVERDRAFT';
  nonce?: string;
}

export interface MachineKeyInput {
  key: string;
  fingerprint: string;
}

export interface HeartbeatResult {
  machine: Machine;
  nonce?: string;
}

export interface CheckoutInput {
  key: string;
  /**
   * Bind the file to this machine (it must be activated; required on a license with a seat limit). The
   * file borrows the machine's seat until it expires or is checked in (checkinLicenseFile).
   */
  fingerprint?: string;
  /** How long the file may be used offline (default 30 days, at most 365); the server clamps it to the policy's maximum. */
  ttlDays?: number;
  /** Encrypt the terms to the key and fingerprint (needs fingerprint). Default: true when fingerprint is given. */
  encrypt?: boolean;
}

export interface RecordUsageInput {
  key: string;
  feature: string;
  amount?: number;
  fingerprint?: string;
}

export interface UsageResult {
  feature: string;
  used: number;
  limit: number | null;
  remaining: number | null;
  period?: string;
  periodStart?: string;
  nonce?: string;
}

export interface PublicKeyResult {
  keyId: string;
  algorithm: 'ed25519';
  /** Base64 of the raw 32-byte key. */
  publicKey: string;
  pem: string;
}

export interface UpdateCheckInput {
  key: string;
  /** Product id or code. */
  product: string;
  /** The version installed (semver). */
  version: string;
  /** stable (default), rc, beta, alpha or dev; a channel also gets the more stable ones. */
  channel?: string;
  platform?: string;
  arch?: string;
}

/** A release file offered by the update check, with a signed download link made for the license. */
export interface UpdateArtifact {
  id: string;
  releaseId: string;
  platform: string;
  arch: string;
  fileType: string;
  fileName: string;
  size: number;
  /** Hex SHA-256 of the file. */
  sha256: string;
  /** Base64 Ed25519 signature of the hex SHA-256 (as UTF-8) by the server key `keyId`. */
  signature: string;
  keyId: string;
  status: string;
  createdAt: string;
  /** Signed download link (about 10 minutes); pass the artifact to `downloadUpdate`. */
  url: string;
  expiresAt: string;
}

/** What `downloadUpdate` needs: an UpdateArtifact, or these fields from a download link's answer. */
export interface DownloadableArtifact {
  url: string;
  size: number;
  sha256: string;
  signature: string;
  keyId: string;
  fileName: string;
}

export interface UpdateRelease {
  id: string;
  productId: string;
  version: string;
  channel: string;
  status: string;
  /** Release notes in Markdown. */
  notes: string;
  /** The notes rendered to HTML by the server; absent from servers that do not render them. */
  notesHtml?: string;
  docLinks: { title: string; url: string }[];
  videoUrl: string | null;
  requirements: string[];
  publishedAt: string | null;
  yankedAt?: string | null;
  yankReason?: string | null;
  createdAt?: string;
  updatedAt?: string;
  /** The release's files for this license (and the platform/arch asked for); always an array (empty from servers that do not list them). */
  artifacts: UpdateArtifact[];
}

export interface UpdateCheckResult {
  updateAvailable: boolean;
  /** The license's validation code: no update is offered unless it is VALID (or GRACE_PERIOD). */
  code: ValidationCode;
  ts: string;
  nonce?: string;
  release?: UpdateRelease;
}

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

/** `manifest.json` of an offline update bundle (`keyhaven-update-bundle/1`). */
export interface UpdateBundleManifest {
  format: 'keyhaven-update-bundle/1';
  createdAt: string;
  keyId: string;
  product: { id: string; code: string; name: string };
  release: { id: string; version: string; channel: string; publishedAt: string | null; notes: string };
  artifact: { id: string; fileName: string; platform: string; arch: string; fileType: string; size: number; sha256: string; signature: string };
}

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
