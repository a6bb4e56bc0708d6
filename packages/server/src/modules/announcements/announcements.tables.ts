import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** A release announced by mail (0018): at most one per release (unique `release_id`). */
export interface ReleaseAnnouncementsTable {
  id: string;
  release_id: string;
  /** The mail template key used. */
  template: string;
  /** Mails queued (recipients who opted out are not counted). */
  recipient_count: number;
  /** The actor's label. */
  created_by: string;
  created_at: Timestamp;
}
