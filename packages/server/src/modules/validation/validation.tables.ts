import type { Generated } from 'kysely';
import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface ValidationsTable {
  id: Generated<number>;
  at: Timestamp;
  license_id: string | null;
  customer_id: string | null;
  product_id: string | null;
  code: string;
  fingerprint: string | null;
  ip: string | null;
  user_agent: string | null;
  version: string | null;
}
