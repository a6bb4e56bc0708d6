import { STAFF_ROLES, type Role } from '../api.js';

/**
 * What each staff role may do: a copy of the server's ROLE_PERMISSIONS (packages/server/src/http/access.ts),
 * kept equal by `e2e/permissions.test.ts`. It only hides buttons and links a role cannot use: the API
 * decides, and its 403 message shows if the two ever disagree.
 */
export const CONSOLE_PERMISSIONS = [
  'products:read',
  'products:write',
  'policies:read',
  'policies:write',
  'customers:read',
  'customers:write',
  'users:read',
  'users:write',
  'tokens:read',
  'tokens:write',
  'licenses:read',
  'licenses:write',
  'licenses:lifecycle',
  'licenses:revoke',
  'licenses:reveal',
  'machines:read',
  'machines:write',
  'machines:activate',
  'events:read',
  'jobs:read',
  'jobs:write',
  'webhooks:read',
  'webhooks:write',
  'mail:read',
  'mail:write',
  'orders:read',
  'orders:write',
  'subscriptions:cancel',
  'releases:read',
  'releases:write',
  'settings:read',
  'settings:write',
] as const;
export type ConsolePermission = (typeof CONSOLE_PERMISSIONS)[number];

const READS: ConsolePermission[] = ['settings:read', 'releases:read', 'products:read', 'policies:read', 'customers:read', 'licenses:read', 'machines:read', 'events:read', 'orders:read'];
const ALL: ReadonlySet<ConsolePermission> = new Set(CONSOLE_PERMISSIONS);

export const BY_ROLE: Partial<Record<Role, ReadonlySet<ConsolePermission>>> = {
  owner: ALL,
  admin: ALL,
  support: new Set<ConsolePermission>([...READS, 'jobs:read', 'mail:read', 'users:read', 'customers:write', 'licenses:lifecycle', 'licenses:reveal', 'machines:write', 'machines:activate', 'subscriptions:cancel']),
  sales: new Set<ConsolePermission>([...READS, 'customers:write', 'licenses:write', 'licenses:lifecycle', 'licenses:reveal', 'machines:write', 'machines:activate', 'orders:write', 'subscriptions:cancel']),
  'read-only': new Set<ConsolePermission>(READS),
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
