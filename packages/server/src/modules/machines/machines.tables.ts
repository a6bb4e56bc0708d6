import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface MachinesTable {
  id: string;
  license_id: string;
  fingerprint: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  ip: string | null;
  metadata: JsonText;
  activated_at: Timestamp;
  last_heartbeat_at: Timestamp | null;
  /** null: node-locked (the seat is held until deactivated); else the floating lease's end. */
  lease_expires_at: Timestamp | null;
  /** The named user the machine belongs to, on per-user licenses. */
  license_user_id: string | null;
  /** While an offline license file bound to this machine is out: its expiry. The seat is held until then. */
  borrowed_until: Timestamp | null;
}

export interface LicenseUsersTable {
  id: string;
  license_id: string;
  /** E-mail or user name, lowercased. */
  identifier: string;
  name: string | null;
  created_at: Timestamp;
}
