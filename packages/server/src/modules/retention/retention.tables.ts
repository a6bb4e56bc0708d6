import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** Per-product release retention (0017); null means no limit of that kind. */
export interface ReleaseRetentionTable {
  product_id: string;
  keep_versions: number | null;
  keep_days: number | null;
  updated_at: Timestamp;
}
