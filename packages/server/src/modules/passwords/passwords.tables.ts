import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** Wrong current passwords per account and the lock they lead to (migration 0023). */
export interface PasswordAttemptsTable {
  user_id: string;
  failures: number;
  locked_until: Timestamp | null;
  updated_at: Timestamp;
}

export interface PasswordTokensTable {
  id: string;
  user_id: string;
  /** set | reset */
  purpose: string;
  token_digest: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
}
