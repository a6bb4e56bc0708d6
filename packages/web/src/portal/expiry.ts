import type { License } from '../api/api.js';
import { daysLeft } from '../ui/ui.js';

/** Licenses within this many days of their expiry are flagged as expiring soon. */
export const SOON_DAYS = 30;

/** Expired (or in grace) licenses, and those still active that expire within SOON_DAYS. */
export function expiryAlerts(licenses: License[], now = Date.now()): { expired: License[]; soon: License[] } {
  const expired = licenses.filter((l) => l.status === 'expired' || l.status === 'grace');
  const soon = licenses.filter((l) => {
    const days = daysLeft(l.expiresAt, now);
    return l.status === 'active' && days !== null && days <= SOON_DAYS;
  });
  return { expired, soon };
}

export function daysLeftText(license: License, now = Date.now()): string {
  const days = daysLeft(license.expiresAt, now);
  if (days === null) return 'no expiry';
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  return `${days} day${days === 1 ? '' : 's'}`;
}
