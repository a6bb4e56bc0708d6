import type { ClientLicense } from '../licenses/licenses.service.js';

/** What entitlement reads of a license: its state, features and what its expiry ends. */
export interface EntitlementLicense {
  status: ClientLicense['status'];
  features: readonly string[];
  expiresAt: string | null;
  expiryEnds: ClientLicense['expiryEnds'];
}

/** What entitlement reads of a release. */
export interface EntitlementRelease {
  requirements: readonly string[];
  publishedAt: string | null;
}

/**
 * The last publish instant a license may receive: under the maintenance model (`expiryEnds: updates`)
 * a license past its expiry gets only releases published up to that expiry; otherwise there is no cap.
 */
export function updatesUntil(license: EntitlementLicense, now: Date): string | null {
  if (license.expiryEnds !== 'updates' || license.expiresAt === null) return null;
  return Date.parse(license.expiresAt) <= now.getTime() ? license.expiresAt : null;
}

/**
 * Whether a license may be offered and download a release (of its product): the license is usable
 * (active, in grace, or expired under the maintenance model), holds every feature the release requires,
 * and, once maintenance has ended, the release was published before the expiry.
 */
export function entitles(license: EntitlementLicense, release: EntitlementRelease, now: Date): boolean {
  const usable = license.status === 'active' || license.status === 'grace' || (license.status === 'expired' && license.expiryEnds === 'updates');
  if (!usable || !release.requirements.every((feature) => license.features.includes(feature))) return false;
  const cutoff = updatesUntil(license, now);
  return cutoff === null || (release.publishedAt !== null && Date.parse(release.publishedAt) <= Date.parse(cutoff));
}
