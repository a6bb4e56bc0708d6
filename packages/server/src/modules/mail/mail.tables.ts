import type { Timestamp, Bool, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface MailTemplatesTable {
  key: string;
  subject: string;
  text: string;
  html: string;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface MailOutboxTable {
  id: string;
  template: string;
  /** Recipients, lowercase, joined by ", ". */
  to_addresses: string;
  /** Recipients left out because of their preferences, or null. */
  suppressed_to: string | null;
  subject: string;
  /** Extra headers (List-Unsubscribe, ...) as a JSON object. */
  headers: JsonText;
  /** essential | reminders | announcements | alerts */
  category: string;
  /** held | queued | sending | sent | failed | suppressed */
  status: string;
  attempts: number;
  last_error: string | null;
  message_id: string;
  dedupe_key: string | null;
  customer_id: string | null;
  user_id: string | null;
  /** While `queued`: not before this instant (retries back off). */
  next_attempt_at: Timestamp;
  /** While `sending`: when the sender's claim lapses (it died) and another run may take the mail. */
  sending_until: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface MailBodiesTable {
  mail_id: string;
  text_ciphertext: string;
  html_ciphertext: string;
  /** JSON `[placeholder, secret][]`, sealed; null when the mail carries no one-time secret. */
  secrets_ciphertext: string | null;
}

export interface MailPreferencesTable {
  email: string;
  reminders: Bool;
  announcements: Bool;
  alerts: Bool;
  updated_by: string | null;
  updated_at: Timestamp;
}
