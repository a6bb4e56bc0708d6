import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface CustomersTable {
  id: string;
  name: string;
  email: string;
  contacts: JsonText;
  notes: string | null;
  metadata: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}
