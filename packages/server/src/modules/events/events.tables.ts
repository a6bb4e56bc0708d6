import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface EventsTable {
  id: string;
  at: Timestamp;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  customer_id: string | null;
  before: JsonText | null;
  after: JsonText | null;
  request_id: string | null;
  ip: string | null;
}
