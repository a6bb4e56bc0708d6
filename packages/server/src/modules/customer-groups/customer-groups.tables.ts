import type { Timestamp, Bool } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** A group of a customer organization's users (a department, a team). */
export interface CustomerGroupsTable {
  id: string;
  customer_id: string;
  name: string;
  /** Who of the group sees a ticket allocated to the group but to no person: `members` (all) or `admins`. */
  visibility: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomerGroupMembersTable {
  group_id: string;
  user_id: string;
  /** 1: a group admin, who sees the group's tickets and allocates them within the group. */
  admin: Bool;
  created_at: Timestamp;
}
