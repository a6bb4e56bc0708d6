import { SYSTEM_ACTOR } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { DAY_MS, type Clock } from '../../lib/clock.js';
import type { SettingsService } from '../settings/settings.service.js';
import type { ClientLicense, License, LicensesService } from '../licenses/licenses.service.js';

export const NOTICE_CODES = [
  'EXPIRING_SOON',
  'TRIAL_ENDING',
  'GRACE_PERIOD',
  'EXPIRED',
  'SUBSCRIPTION_CANCELLED',
  'NOT_STARTED',
  'SUSPENDED',
  'REVOKED',
  'NEW_RELEASE',
] as const;
export type NoticeCode = (typeof NOTICE_CODES)[number];
export type NoticeSeverity = 'info' | 'warning' | 'critical';

/** Something an application should show its user about its license. */
export interface Notice {
  /** Stable while the situation lasts (e.g. per term), so an app can remember that its user dismissed it. */
  id: string;
  code: NoticeCode;
  severity: NoticeSeverity;
  title: string;
  message: string;
  /** The instant the notice is about (the expiry, the end of grace, a release date). */
  at: string | null;
  /** Whole days until `at` (rounded up), when it lies ahead. */
  daysLeft: number | null;
  /** Where the user can act (renew, buy, download), when known. */
  url: string | null;
}

/**
 * A source of notices beyond the license's own dates. The releases capability plugs in here to add
 * `NEW_RELEASE` notices (`notices.addSource(...)`), without this module knowing about releases.
 */
export type NoticeSource = (license: License, context: { now: Date; version?: string }) => Promise<Notice[]>;

export interface NoticesRequest {
  key: string;
  /** Notices about expiry start this many days ahead (default: the longest reminder offset in force). */
  withinDays?: number;
  /** The app's version, for sources that compare against it (new releases). */
  version?: string;
}

const SEVERITY_ORDER: Record<NoticeSeverity, number> = { critical: 0, warning: 1, info: 2 };

function day(iso: string): string {
  return iso.slice(0, 10);
}

export interface NoticesDeps {
  clock: Clock;
  licenses: LicensesService;
  settings: SettingsService;
  /** Where the portal lives: the notices link to its sign-in page. */
  publicUrl: string;
}

/**
 * The in-app notices feed (`listNotices`): what an application should tell its user, derived from the
 * license at the moment of asking (expiring soon, trial ending, grace period, expired, cancelled,
 * suspended, revoked) plus whatever registered sources add. Nothing is stored.
 */
export class NoticesService {
  private readonly sources: NoticeSource[] = [];

  constructor(private readonly deps: NoticesDeps) {}

  /** Adds a source of notices (e.g. new releases); its notices are merged into every answer. */
  addSource(source: NoticeSource): void {
    this.sources.push(source);
  }

  async list(request: NoticesRequest): Promise<{ license: ClientLicense; notices: Notice[]; ts: string }> {
    const resolved = await this.deps.licenses.resolveKey(request.key);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has this key');
    const license = await this.deps.licenses.get({ actor: SYSTEM_ACTOR }, resolved.license.id);
    const now = this.deps.clock.now();
    const withinDays = request.withinDays ?? Math.max(...(await this.deps.settings.current()).reminderDays, 1);
    const notices = this.fromDates(license, now, withinDays);
    for (const source of this.sources) notices.push(...(await source(license, { now, ...(request.version ? { version: request.version } : {}) })));
    notices.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    return { license: resolved.license, notices, ts: now.toISOString() };
  }

  /** The notices a license's own facts call for at `now`. */
  fromDates(license: License, now: Date, withinDays: number): Notice[] {
    const portal = `${this.deps.publicUrl}/sign-in`;
    const notice = (code: NoticeCode, severity: NoticeSeverity, title: string, message: string, at: string | null): Notice => ({
      id: `${code.toLowerCase()}:${license.id}:${at ?? '-'}`,
      code,
      severity,
      title,
      message,
      at,
      daysLeft: at !== null && Date.parse(at) > now.getTime() ? Math.ceil((Date.parse(at) - now.getTime()) / DAY_MS) : null,
      url: code === 'REVOKED' || code === 'NOT_STARTED' ? null : portal,
    });
    const trial = license.type === 'trial';
    const sub = license.subscription;
    switch (license.status) {
      case 'revoked':
        return [notice('REVOKED', 'critical', 'License revoked', 'This license has been revoked and no longer works.', license.revokedAt)];
      case 'suspended':
        return [notice('SUSPENDED', 'critical', 'License suspended', 'This license is suspended. Contact the vendor to have it reinstated.', license.suspendedAt)];
      case 'pending':
        return [notice('NOT_STARTED', 'info', 'License not yet valid', `This license becomes valid on ${day(license.startsAt)}.`, license.startsAt)];
      case 'expired':
        return [
          notice('EXPIRED', 'critical', trial ? 'Trial ended' : 'License expired', trial ? `The trial ended on ${day(license.expiresAt!)}.` : `This license expired on ${day(license.expiresAt!)}. Renew it to continue.`, license.expiresAt),
        ];
      case 'grace':
        return [
          notice(
            'GRACE_PERIOD',
            'warning',
            'License expired: grace period',
            `This license expired on ${day(license.expiresAt!)}. It keeps working until ${day(license.graceEndsAt!)}; renew before then.`,
            license.graceEndsAt,
          ),
        ];
    }
    const out: Notice[] = [];
    if (license.expiresAt === null) return out;
    const expiry = Date.parse(license.expiresAt);
    const renews = sub !== null && sub.autoRenew;
    if (sub && sub.cancelledAt !== null) {
      out.push(notice('SUBSCRIPTION_CANCELLED', 'info', 'Subscription cancelled', `The subscription was cancelled and ends on ${day(license.expiresAt)}.`, license.expiresAt));
    }
    if (!renews && expiry - now.getTime() <= withinDays * DAY_MS) {
      const daysLeft = Math.ceil((expiry - now.getTime()) / DAY_MS);
      const severity: NoticeSeverity = daysLeft <= 5 ? 'warning' : 'info';
      const plural = daysLeft === 1 ? 'day' : 'days';
      out.push(
        trial
          ? notice('TRIAL_ENDING', severity, 'Trial ends soon', `The trial ends on ${day(license.expiresAt)}, in ${daysLeft} ${plural}.`, license.expiresAt)
          : notice('EXPIRING_SOON', severity, 'License expires soon', `This license expires on ${day(license.expiresAt)}, in ${daysLeft} ${plural}. Renew it to keep working.`, license.expiresAt),
      );
    }
    return out;
  }
}
