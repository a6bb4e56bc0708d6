import type { Role } from '../api.js';

/**
 * The permissions the console's buttons need, per staff role, mirroring the server's ROLE_PERMISSIONS
 * (packages/server/src/http/access.ts). It only hides buttons a role cannot use: the API decides, and
 * its 403 message shows if the two ever disagree.
 */
export type ConsolePermission = 'licenses:lifecycle' | 'licenses:revoke' | 'licenses:reveal' | 'machines:write' | 'releases:write' | 'settings:write';

const SUPPORT_OR_SALES: ReadonlySet<ConsolePermission> = new Set(['licenses:lifecycle', 'licenses:reveal', 'machines:write']);
const BY_ROLE: Partial<Record<Role, ReadonlySet<ConsolePermission>>> = {
  owner: new Set(['licenses:lifecycle', 'licenses:revoke', 'licenses:reveal', 'machines:write', 'releases:write', 'settings:write']),
  admin: new Set(['licenses:lifecycle', 'licenses:revoke', 'licenses:reveal', 'machines:write', 'releases:write', 'settings:write']),
  support: SUPPORT_OR_SALES,
  sales: SUPPORT_OR_SALES,
};

export function can(role: Role | undefined, permission: ConsolePermission): boolean {
  return role !== undefined && (BY_ROLE[role]?.has(permission) ?? false);
}
