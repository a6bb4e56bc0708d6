import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

export interface JobsTable {
  id: string;
  type: string;
  payload: JsonText;
  /** queued | running | done | failed */
  status: string;
  run_at: Timestamp;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  unique_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface JobSchedulesTable {
  name: string;
  cron: string;
  job_type: string;
  next_run_at: Timestamp;
  last_run_at: Timestamp | null;
  updated_at: Timestamp;
}
