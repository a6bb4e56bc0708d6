import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface ApiTokensTable {
  id: string;
  name: string;
  token_digest: string;
  token_hint: string;
  role: string;
  customer_id: string | null;
  created_by: string | null;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: Timestamp;
}
