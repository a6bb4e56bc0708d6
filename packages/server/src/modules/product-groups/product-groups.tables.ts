import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface ProductGroupsTable {
  id: string;
  name: string;
  /** Order on selection screens (then name). */
  position: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProductGroupProductsTable {
  group_id: string;
  product_id: string;
}
