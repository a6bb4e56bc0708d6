import type { JsonText, Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface PartnersTable {
  id: string;
  name: string;
  email: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PartnerGrantsTable {
  partner_id: string;
  product_group_id: string;
  /** The partner's rights on the group's products (JSON array of PARTNER_RIGHTS). */
  rights: JsonText;
}
