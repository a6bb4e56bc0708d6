import type { Keyring } from '../../crypto/keyring.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { parseLicenseKey } from './license-key.js';
import { findForValidation } from './licenses.repository.js';
import { toIso } from '../../db/database.js';
import type { ClientLicense, LicensesService } from './licenses.service.js';
import { evaluateLicense, type ValidationCode } from './validation.js';
import type { ValidationLog } from './validation-log.js';

export interface ValidateInput {
  key: string;
  fingerprint?: string;
  product?: string;
  domain?: string;
  features?: string[];
  version?: string;
  nonce?: string;
}

export interface ValidateResult {
  valid: boolean;
  code: ValidationCode;
  detail: string;
  ts: string;
  nonce?: string;
  license?: ClientLicense;
}

/** Who asked: recorded with every validation. */
export interface ClientMeta {
  ip: string;
  userAgent: string | undefined;
}

/** Parses a key typed or pasted by a person or an app; a malformed one is a 400 naming the field. */
export function requireKey(key: string): string {
  const parsed = parseLicenseKey(key);
  if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
  return parsed.canonical;
}

/** The client-facing `validateLicense`: one indexed lookup, the pure rules, a buffered log entry. */
export class ValidationService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    private readonly licenses: LicensesService,
    private readonly log: ValidationLog,
  ) {}

  async validate(input: ValidateInput, meta: ClientMeta): Promise<ValidateResult> {
    const canonical = requireKey(input.key);
    const row = await findForValidation(this.db, this.keyring.digest('license-key', canonical));
    const now = this.clock.now();
    const at = now.toISOString();
    const license = row ? this.licenses.presentForClient(row) : undefined;
    const outcome = evaluateLicense(
      license && row
        ? {
            startsAt: license.startsAt,
            expiresAt: license.expiresAt,
            graceEndsAt: license.graceEndsAt,
            suspendedAt: toIso(row.suspended_at),
            revokedAt: toIso(row.revoked_at),
            productId: license.productId,
            productCode: license.product,
            features: license.features,
            domains: license.domains,
            enforceDomains: Boolean(row.enforce_domains),
          }
        : undefined,
      input,
      now,
    );
    this.log.record({
      at,
      licenseId: license?.id ?? null,
      code: outcome.code,
      fingerprint: input.fingerprint ?? null,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    });
    const result: ValidateResult = { valid: outcome.valid, code: outcome.code, detail: outcome.detail, ts: at };
    if (input.nonce !== undefined) result.nonce = input.nonce;
    if (license) result.license = license;
    return result;
  }
}
