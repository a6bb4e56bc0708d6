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
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { RequestContext } from '../events/events.service.js';
import type { Page } from '../../lib/pagination.js';
import { listValidations, versionsInUse, type LoggedValidation, type ValidationFilter, type VersionUse } from './validation.repository.js';

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
  db: Db;
  clock: Clock;
  licenses: LicensesService;
  seats: SeatsService;
  usage: UsageService;
  log: ValidationLog;
}

/** What `listValidations` accepts: the filters, `limit` and the opaque cursor of the previous page. */
export type ValidationListInput = Omit<ValidationFilter, 'after'> & { cursor?: string | undefined };

/** A validation as `listValidations` answers it. */
export type ValidationItem = Omit<LoggedValidation, 'productId'>;

export interface VersionsReport {
  from: string;
  to: string;
  productId: string | null;
  data: VersionUse[];
}

/** The versions report's default period: the 30 days before now. */
const DEFAULT_REPORT_DAYS = 30;

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
      customerId: row?.customer_id ?? null,
      productId: row?.product_id ?? null,
      code: outcome.code,
      fingerprint: input.fingerprint ?? null,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      version: input.version ?? null,
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

  /**
   * The validation log, newest first, keyset-paged by (at, id): a page stays stable while new validations
   * are written. Customers read their own organization's rows only (see `listValidations` in the repository).
   */
  async list(ctx: RequestContext, input: ValidationListInput): Promise<Page<ValidationItem>> {
    const { cursor, ...filter } = input;
    const from = filter.from !== undefined ? isoTime(filter.from, 'from') : undefined;
    const to = filter.to !== undefined ? isoTime(filter.to, 'to') : undefined;
    const rows = await listValidations(this.deps.db, ctx.actor, { ...filter, from, to, after: cursor !== undefined ? decodeCursor(cursor) : undefined });
    const more = rows.length > filter.limit;
    const shown = more ? rows.slice(0, filter.limit) : rows;
    const last = shown[shown.length - 1];
    return {
      data: shown.map(({ productId: _product, ...item }) => item),
      nextCursor: more && last ? encodeCursor(last.at, Number(last.id)) : null,
    };
  }

  /** Versions in the field: per version the app reported, licenses and machines that used it in the period. */
  async versions(input: { productId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<VersionsReport> {
    const to = input.to !== undefined ? isoTime(input.to, 'to') : this.deps.clock.now().toISOString();
    const from = input.from !== undefined ? isoTime(input.from, 'from') : new Date(Date.parse(to) - DEFAULT_REPORT_DAYS * 86_400_000).toISOString();
    if (from >= to) throw new AppError('VALIDATION_FAILED', '`from` must be before `to`', { fields: { from: 'must be before to' } });
    // Without `to`, the period runs to now included (a validation at this very moment counts).
    const data = await versionsInUse(this.deps.db, { from, to: input.to !== undefined ? to : undefined, productId: input.productId });
    return { from, to, productId: input.productId ?? null, data };
  }
}

/** A time from the query as the ISO form both dialects compare (400 when it is no time). */
function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('VALIDATION_FAILED', `\`${field}\` is not a date-time`, { fields: { [field]: 'is not a date-time' } });
  return new Date(ms).toISOString();
}

/** The cursor: the last row's time and id, base64url (opaque to clients). */
function encodeCursor(at: string, id: number): string {
  return Buffer.from(`${at}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: number } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const ms = at !== undefined ? Date.parse(at) : Number.NaN;
  const n = Number(id);
  if (Number.isNaN(ms) || !Number.isSafeInteger(n)) throw new AppError('VALIDATION_FAILED', 'The cursor is not one this list gave', { fields: { cursor: 'is not valid' } });
  return { at: new Date(ms).toISOString(), id: n };
}
