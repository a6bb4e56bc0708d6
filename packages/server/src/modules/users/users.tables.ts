import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  kind: string;
  role: string;
  customer_id: string | null;
  /** A partner user's partner; null for staff and customer users. */
  partner_id: string | null;
  disabled_at: Timestamp | null;
  last_sign_in_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
