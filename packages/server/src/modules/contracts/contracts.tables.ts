import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface ContractsTable {
  id: string;
  /** The holder: a customer organization or a partner, exactly one of the two. */
  customer_id: string | null;
  partner_id: string | null;
  /** What it covers: one policy or one product group, exactly one of the two. */
  policy_id: string | null;
  product_group_id: string | null;
  /** 'licenses': a license draws 1; 'seats': a license draws its maxMachines. */
  unit: string;
  /** null: unlimited. */
  quantity: number | null;
  /** Drawn so far; grows only by the conditional update of a draw, never above quantity. */
  used: number;
  ends_at: Timestamp | null;
  alerted_80_at: Timestamp | null;
  alerted_100_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  cancelled_at: Timestamp | null;
}
