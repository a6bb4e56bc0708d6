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

export interface ValidationResult {
  valid: boolean;
  code: ValidationCode;
  detail: string;
  ts: string;
  nonce?: string;
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
  /** Bind the file to this machine (it must be activated). */
  fingerprint?: string;
  /** How long the file may be used offline (server default 30, at most 365). */
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
