import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface RenewalsTable {
  id: string;
  license_id: string;
  customer_id: string | null;
  product_id: string;
  from_expiry: Timestamp;
  to_expiry: Timestamp;
  /** Minor units. */
  price: number | null;
  currency: string | null;
  /** auto | manual | billing */
  source: string;
  reference: string | null;
  actor_type: string;
  actor_id: string | null;
  at: Timestamp;
}
