import type { Clock } from '../../lib/clock.js';
import type { SeatsService } from '../machines/seats.service.js';
import type { UsageService } from '../usage/usage.service.js';
import { hardSeatLimit, type Overdraft } from '../policies/policies.service.js';
import type { Meter } from '../policies/meters.js';
import { parseJson } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { ClientLicense, LicensesService } from '../licenses/licenses.service.js';
import { answerKeyDigest, parseLicenseKey } from '../licenses/license-key.js';
import { evaluateLicense, type ValidationCode } from './validation.js';
import type { ValidationLog } from './validation-log.js';

export interface ValidateInput {
  key: string;
  fingerprint?: string;
  product?: string;
  domain?: string;
  features?: string[];
  version?: string;
}

/** What a validation answer covers, exactly as the request gave it (null where not given). */
export interface ValidationScope {
  fingerprint: string | null;
  product: string | null;
  features: string[] | null;
  domain: string | null;
}

export interface ValidateResult {
  valid: boolean;
  code: ValidationCode;
  detail: string;
  ts: string;
  /**
   * The request's scope. Signed with the answer, so that an answer obtained for a narrower request
   * (no fingerprint, no product) cannot stand in for the application's own, online or from a cache.
   */
  scope: ValidationScope;
  /** Ties the answer to its key (`answerKeyDigest`), for clients that keep it for offline use. */
  keyDigest: string;
  license?: ClientLicense;
}

/** Who asked: recorded with every validation. */
export interface ClientMeta {
  ip: string;
  userAgent: string | undefined;
  /** From the trusted country header, when configured. */
  country?: string;
}

export interface ValidationDeps {
  clock: Clock;
  licenses: LicensesService;
  seats: SeatsService;
  usage: UsageService;
  log: ValidationLog;
}

/**
 * The client-facing `validateLicense`: one indexed lookup (two more when a fingerprint is named), the pure
 * rules, a buffered log entry.
 */
export class ValidationService {
  constructor(private readonly deps: ValidationDeps) {}

  async validate(input: ValidateInput, meta: ClientMeta): Promise<ValidateResult> {
    const resolved = await this.deps.licenses.resolveKey(input.key);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const license = resolved?.license;
    const row = resolved?.row;
    // Machine facts cost two indexed reads, so they are read only when the app names its machine.
    const machine = row && input.fingerprint !== undefined ? await this.deps.seats.facts(row.id, input.fingerprint) : undefined;
    // Credits are read only when the app asks for features that are metered.
    const meters = row && input.features?.length ? parseJson<Meter[]>(row.meters, []) : [];
    const exhausted = row && meters.length > 0 ? await this.deps.usage.exhausted(row.id, meters, input.features!) : [];
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
            expiryEnds: row.expiry_ends === 'updates' ? 'updates' : 'access',
            countries: parseJson<string[]>(row.countries, []),
            maxMachines: license.maxMachines,
            hardMachineLimit: hardSeatLimit(license.maxMachines, parseJson<Overdraft | null>(row.overdraft, null)),
            activeMachines: machine?.aliveMachines ?? license.activeMachines,
            ...(machine ? { machine: machine.machine } : {}),
            exhaustedFeatures: exhausted,
          }
        : undefined,
      meta.country !== undefined ? { ...input, country: meta.country } : input,
      now,
    );
    this.deps.log.record({
      at,
      licenseId: license?.id ?? null,
      code: outcome.code,
      fingerprint: input.fingerprint ?? null,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    });
    const result: ValidateResult = {
      valid: outcome.valid,
      code: outcome.code,
      detail: outcome.detail,
      ts: at,
      scope: { fingerprint: input.fingerprint ?? null, product: input.product ?? null, features: input.features ?? null, domain: input.domain ?? null },
      // resolveKey refused a malformed key, so the key parses here.
      keyDigest: answerKeyDigest((parseLicenseKey(input.key) as { canonical: string }).canonical),
    };
    if (license) result.license = license;
    return result;
  }
}
