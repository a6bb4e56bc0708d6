import type { Dialect } from '../database.js';

/** Column types that differ between dialects; every migration takes them so the schema stays one. */
export interface MigrationContext {
  dialect: Dialect;
  /** `timestamptz` on PostgreSQL, ISO-8601 `text` on SQLite. */
  ts: 'timestamptz' | 'text';
  /** JSON documents are stored as text on both dialects. */
  json: 'text';
}
