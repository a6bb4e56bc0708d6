import type { Timestamp, Bool, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface LicensesTable {
  id: string;
  key_digest: string;
  key_ciphertext: string;
  key_hint: string;
  name: string;
  product_id: string;
  policy_id: string;
  customer_id: string | null;
  type: string;
  starts_at: Timestamp;
  expires_at: Timestamp | null;
  grace_days: number;
  /** expires_at + grace_days, kept beside expires_at by the repository so status filters stay plain comparisons. */
  grace_ends_at: Timestamp | null;
  suspended_at: Timestamp | null;
  revoked_at: Timestamp | null;
  max_machines: number | null;
  max_users: number | null;
  floating: Bool;
  heartbeat_seconds: number | null;
  features: JsonText;
  domains: JsonText;
  meters: JsonText;
  countries: JsonText;
  billing: JsonText;
  notes: string | null;
  metadata: JsonText;
  /** Subscription terms and price (JSON), on licenses issued from subscription policies; else null. */
  subscription: JsonText | null;
  /** 1 when the subscription renews at term end (0: cancelled or off); null: not a subscription. */
  auto_renew: Bool | null;
  /** Who renews it: keyhaven (the renewal sweep) or billing (an external system calls renewSubscription). */
  renewed_by: string | null;
  cancelled_at: Timestamp | null;
  /** Start of the current term; null while an activation-aligned term waits for the first activation. */
  term_starts_at: Timestamp | null;
  /** The ticket: the group it is allocated to (or the group a named holder holds it through); null: none. */
  allocated_group_id: string | null;
  /** The ticket's named holder; both null: allocated to the organization. */
  allocated_user_id: string | null;
  /** The contract (license pack, volume contract) the license was drawn from; null: none. */
  contract_id: string | null;
  /** The partner that sold the license (its user created it); null: the vendor. */
  sold_by: string | null;
  /** Who created it: the acting user's id or the actor's label; null for licenses from before. */
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
