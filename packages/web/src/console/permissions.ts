import { STAFF_ROLES, type Role } from '../api.js';

/**
 * The permissions the console's buttons need, per staff role, mirroring the server's ROLE_PERMISSIONS
 * (packages/server/src/http/access.ts). It only hides buttons a role cannot use: the API decides, and
 * its 403 message shows if the two ever disagree.
 */
export type ConsolePermission =
  | 'licenses:lifecycle'
  | 'licenses:revoke'
  | 'licenses:reveal'
  | 'machines:write'
  | 'releases:write'
  | 'webhooks:read'
  | 'webhooks:write'
  | 'tokens:read'
  | 'tokens:write'
  | 'users:read'
  | 'users:write';

const OWNER_OR_ADMIN: ReadonlySet<ConsolePermission> = new Set([
  'licenses:lifecycle',
  'licenses:revoke',
  'licenses:reveal',
  'machines:write',
  'releases:write',
  'webhooks:read',
  'webhooks:write',
  'tokens:read',
  'tokens:write',
  'users:read',
  'users:write',
]);
const BY_ROLE: Partial<Record<Role, ReadonlySet<ConsolePermission>>> = {
  owner: OWNER_OR_ADMIN,
  admin: OWNER_OR_ADMIN,
  support: new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write', 'users:read']),
  sales: new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write']),
};

export function can(role: Role | undefined, permission: ConsolePermission): boolean {
  return role !== undefined && (BY_ROLE[role]?.has(permission) ?? false);
}

/** The server's `canGrantRole`: an owner grants every role, an admin every role but owner, others none. */
export function canGrantRole(granter: Role | undefined, role: Role): boolean {
  if (granter === 'owner') return true;
  if (granter === 'admin') return role !== 'owner';
  return false;
}

/** The staff roles `granter` may hand out, in the order the API lists them. */
export function grantableStaffRoles(granter: Role | undefined): Role[] {
  return STAFF_ROLES.filter((role) => canGrantRole(granter, role));
}
