import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface SessionsTable {
  id: string;
  token_digest: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}
