import type { Timestamp, Bool } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** An FAQ entry of the customer portal (0020); `answer` is Markdown. */
export interface FaqEntriesTable {
  id: string;
  product_id: string | null;
  question: string;
  answer: string;
  position: number;
  published: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}
