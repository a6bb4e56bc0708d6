import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface UsageCountersTable {
  license_id: string;
  feature: string;
  used: number;
  /** The start of the current reset period; the counter counts from here. */
  period_start: Timestamp;
  updated_at: Timestamp;
}
