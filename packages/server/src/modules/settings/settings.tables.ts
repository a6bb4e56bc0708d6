import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** A staff-edited setting that overrides its environment default (0021); no row: the default. */
export interface SettingsTable {
  key: string;
  value: JsonText;
  updated_at: Timestamp;
  /** The actor's label (e-mail address or token name). */
  updated_by: string;
}
