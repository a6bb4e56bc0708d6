import type { Timestamp, Bool, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface ProductsTable {
  id: string;
  code: string;
  name: string;
  description: string | null;
  url: string | null;
  metadata: JsonText;
  /** Allowed trial lengths in days (JSON array) and the one used when none is named. */
  trial_durations: JsonText;
  trial_preset: number;
  /** The policy trials are issued from; null: the product's only trial policy. */
  trial_policy_id: string | null;
  /** Whether anyone may sign up for a trial (POST /v1/trials). */
  public_trials: Bool;
  /** Customers a custom product is made for (JSON array of ids); empty: a public product. */
  customer_ids: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}
