import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** One row per reminder sent: license, term (its expiry) and days before it (0: the expired notice). */
export interface RemindersSentTable {
  license_id: string;
  expires_at: Timestamp;
  offset_days: number;
  mail_id: string | null;
  sent_at: Timestamp;
}

/** Internal alerts, once per license, kind and dedupe key (a UTC day, or an expiry). */
export interface StaffAlertsTable {
  id: string;
  license_id: string;
  customer_id: string | null;
  kind: string;
  dedupe_key: string;
  detail: JsonText;
  mail_id: string | null;
  at: Timestamp;
}
