import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface CustomersTable {
  id: string;
  name: string;
  email: string;
  contacts: JsonText;
  notes: string | null;
  metadata: JsonText;
  /** The partner the customer belongs to (created by it, or assigned by staff); null: the vendor's own. */
  partner_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
