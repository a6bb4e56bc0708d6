import type { Timestamp } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** A stored file of a release (0015); a row exists only for a completely written, verified file. */
export interface ArtifactsTable {
  id: string;
  release_id: string;
  platform: string;
  arch: string;
  file_type: string;
  file_name: string;
  /** bigint: PostgreSQL returns it as a string; read through Number(). */
  size: number | string;
  /** Hex SHA-256 of the file. */
  sha256: string;
  /** Base64 Ed25519 signature of the hex SHA-256, by the key `key_id`. */
  signature: string;
  key_id: string;
  storage_key: string;
  /** available | removed (0017: the file is gone, the row stays) */
  status: string;
  created_at: Timestamp;
  removed_at: Timestamp | null;
  removed_reason: string | null;
}

/** One served download (0015). */
export interface DownloadsTable {
  id: string;
  artifact_id: string;
  /** user | token | admin-token | license */
  actor_type: string;
  actor_id: string | null;
  license_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
}
