import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface TrialsTable {
  id: string;
  product_id: string;
  license_id: string;
  customer_id: string | null;
  email: string | null;
  fingerprint_digest: string | null;
  /** signup | staff */
  source: string;
  days: number;
  ip: string | null;
  converted_at: Timestamp | null;
  converted_policy_id: string | null;
  created_at: Timestamp;
}
