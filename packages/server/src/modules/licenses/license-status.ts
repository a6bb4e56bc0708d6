/**
 * A license's status is derived from facts (dates and the suspend/revoke marks) at a given instant; it is
 * never stored, so it cannot drift from the facts.
 *
 * Precedence: revoked > suspended > pending (before the start) > expired (after the grace period) >
 * grace (expired, but inside the grace period: still valid, with a warning) > active.
 */
export const LICENSE_STATUSES = ['pending', 'active', 'grace', 'expired', 'suspended', 'revoked'] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

export interface StatusFacts {
  startsAt: string;
  expiresAt: string | null;
  graceEndsAt: string | null;
  suspendedAt: string | null;
  revokedAt: string | null;
}

export function licenseStatus(facts: StatusFacts, now: Date): LicenseStatus {
  if (facts.revokedAt !== null) return 'revoked';
  if (facts.suspendedAt !== null) return 'suspended';
  const t = now.getTime();
  if (t < Date.parse(facts.startsAt)) return 'pending';
  if (facts.expiresAt !== null && t >= Date.parse(facts.expiresAt)) {
    return facts.graceEndsAt !== null && t < Date.parse(facts.graceEndsAt) ? 'grace' : 'expired';
  }
  return 'active';
}

/** The end of the grace period that follows an expiry. */
export function graceEndsAt(expiresAt: string | null, graceDays: number): string | null {
  if (expiresAt === null) return null;
  return new Date(Date.parse(expiresAt) + graceDays * 86_400_000).toISOString();
}
