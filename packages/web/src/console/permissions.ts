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
  | 'products:write'
  | 'policies:write'
  | 'customers:write'
  | 'users:read'
  | 'users:write'
  | 'webhooks:read';

const EVERYTHING: ReadonlySet<ConsolePermission> = new Set<ConsolePermission>([
  'licenses:lifecycle',
  'licenses:revoke',
  'licenses:reveal',
  'machines:write',
  'releases:write',
  'products:write',
  'policies:write',
  'customers:write',
  'users:read',
  'users:write',
  'webhooks:read',
]);
const BY_ROLE: Partial<Record<Role, ReadonlySet<ConsolePermission>>> = {
  owner: EVERYTHING,
  admin: EVERYTHING,
  support: new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write', 'customers:write', 'users:read']),
  sales: new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write', 'customers:write']),
};

export function can(role: Role | undefined, permission: ConsolePermission): boolean {
  return role !== undefined && (BY_ROLE[role]?.has(permission) ?? false);
}
