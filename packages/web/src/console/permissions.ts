import type { Role } from '../api.js';

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
  | 'orders:write'
  | 'jobs:read'
  | 'jobs:write'
  | 'mail:read';

const ALL: ReadonlySet<ConsolePermission> = new Set<ConsolePermission>([
  'licenses:lifecycle',
  'licenses:revoke',
  'licenses:reveal',
  'machines:write',
  'releases:write',
  'orders:write',
  'jobs:read',
  'jobs:write',
  'mail:read',
]);
const BY_ROLE: Partial<Record<Role, ReadonlySet<ConsolePermission>>> = {
  owner: ALL,
  admin: ALL,
  support: new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write', 'jobs:read', 'mail:read']),
  sales: new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write', 'orders:write']),
};

export function can(role: Role | undefined, permission: ConsolePermission): boolean {
  return role !== undefined && (BY_ROLE[role]?.has(permission) ?? false);
}
