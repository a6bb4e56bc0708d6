import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** A release of a product (0014): artifacts of the next part reference `id`. */
export interface ReleasesTable {
  id: string;
  product_id: string;
  version: string;
  /** stable | rc | beta | alpha | dev */
  channel: string;
  /** draft | published | yanked */
  status: string;
  /** Markdown. */
  notes: string;
  /** JSON array of {title, url}. */
  doc_links: JsonText;
  video_url: string | null;
  /** JSON array of feature names the license must have. */
  requirements: JsonText;
  published_at: Timestamp | null;
  yanked_at: Timestamp | null;
  yank_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
