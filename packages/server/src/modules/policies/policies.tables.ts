import type { Timestamp, Bool, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface PoliciesTable {
  id: string;
  product_id: string;
  name: string;
  kind: string;
  duration_days: number | null;
  max_machines: number | null;
  floating: Bool;
  heartbeat_seconds: number | null;
  grace_days: number;
  features: JsonText;
  enforce_domains: Bool;
  /** [{feature, limit, period}] */
  meters: JsonText;
  /** Allowed ISO country codes; [] allows all. */
  countries: JsonText;
  /** {activations, deactivations, periodDays} or null. */
  activation_limits: JsonText;
  /** {seats} or {factor}, or null. */
  overdraft: JsonText;
  /** What the expiry ends: `access` (validation fails) or `updates` (maintenance model). */
  expiry_ends: string;
  max_users: number | null;
  /** A calendar-correct term in months (instead of duration_days); null: the term is duration_days. */
  term_months: number | null;
  /** Subscription terms (see SubscriptionTerms); meaningful on subscription policies only. */
  auto_renew: Bool;
  /** keyhaven | billing */
  renewed_by: string;
  cancellation_notice_days: number;
  /** purchase | activation | calendar-year | fiscal-year */
  alignment: string;
  fiscal_year_start_month: number | null;
  /** shorten | prorate */
  first_term: string;
  /** Default price per term in minor units, and its currency. */
  price: number | null;
  currency: string | null;
  metadata: JsonText;
  /** The longest lifetime of an offline license file issued for its licenses, in days. */
  offline_max_days: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}
