import { AppError } from './errors.js';

/** Everything a credential can be allowed to do. Routes name exactly one of these (or are public). */
export const PERMISSIONS = [
  'products:read',
  'products:write',
  'policies:read',
  'policies:write',
  'customers:read',
  'customers:write',
  'customer-groups:write',
  'users:read',
  'users:write',
  'tokens:read',
  'tokens:write',
  'licenses:read',
  'licenses:write',
  // Issue a license (createLicense). Customer admins hold it for delegated creation: only from a contract of their organization.
  'licenses:create',
  'licenses:lifecycle',
  'licenses:revoke',
  'licenses:reveal',
  'licenses:allocate',
  // One-click trials (createTrial, convertTrial): staff who issue licenses, and partners under their trials:create right.
  'trials:write',
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
  // Contracts (license packs, volume contracts): read by staff and the holder's admins, written by owner/admin/sales.
  'contracts:read',
  'contracts:write',
  'partners:read',
  'partners:write',
  // Partner reports (batch invoicing): staff read every partner's; a partner admin its own partner's only.
  'reports:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const STAFF_ROLES = ['owner', 'admin', 'support', 'sales', 'read-only'] as const;
export const CUSTOMER_ROLES = ['customer-admin', 'customer-member'] as const;
/** Users of a partner (reseller, distributor): an organization of its own that sells to its own customers. */
export const PARTNER_ROLES = ['partner-admin', 'partner-member'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export type CustomerRole = (typeof CUSTOMER_ROLES)[number];
export type PartnerRole = (typeof PARTNER_ROLES)[number];
export type Role = StaffRole | CustomerRole | PartnerRole;
export const ROLES: readonly Role[] = [...STAFF_ROLES, ...CUSTOMER_ROLES, ...PARTNER_ROLES];

/**
 * What a partner may do per product group (`partner_grants.rights`). A partner role's permissions open the
 * routes; the right on the product at hand (`assertPartnerRight`) decides each request.
 */
export const PARTNER_RIGHTS = [
  'trials:create',
  'licenses:create',
  'licenses:extend',
  'licenses:suspend',
  'licenses:revoke',
  'subscriptions:cancel',
  'customers:create',
  'downloads',
] as const;
export type PartnerRight = (typeof PARTNER_RIGHTS)[number];

const READS: Permission[] = ['contracts:read', 'settings:read', 'releases:read', 'products:read', 'policies:read', 'customers:read', 'licenses:read', 'machines:read', 'events:read', 'orders:read', 'partners:read', 'reports:read'];
const ALL = new Set<Permission>(PERMISSIONS);
// partners:read: its own partner only (its grants: what the partner face shows it may do); another's is 404.
const PARTNER_PERMISSIONS: Permission[] = [
  'products:read', 'policies:read', 'releases:read', 'customers:read', 'licenses:read', 'machines:read', 'events:read', 'orders:read', 'contracts:read', 'partners:read',
  'customers:write', 'licenses:create', 'licenses:lifecycle', 'licenses:revoke', 'subscriptions:cancel', 'trials:write',
];

/**
 * Role → permissions. Customer roles get read permissions too, but every query they make is narrowed to
 * their own organization by `Scope` (see `*.access.ts`), so "customers:read" for a customer means
 * "read my own organization".
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: ALL,
  admin: ALL,
  support: new Set<Permission>([...READS, 'jobs:read', 'mail:read', 'users:read', 'customers:write', 'customer-groups:write', 'licenses:allocate', 'licenses:lifecycle', 'licenses:reveal', 'machines:write', 'machines:activate', 'subscriptions:cancel']),
  sales: new Set<Permission>([...READS, 'customers:write', 'customer-groups:write', 'licenses:allocate', 'licenses:write', 'licenses:create', 'trials:write', 'licenses:lifecycle', 'licenses:reveal', 'machines:write', 'machines:activate', 'orders:write', 'subscriptions:cancel', 'contracts:write']),
  'read-only': new Set<Permission>(READS),
  // A customer admin may cancel and resume its own organization's subscriptions (within the notice period),
  // read its organization's contracts and create licenses from them (licenses:create: only that way).
  // Groups and tickets: a customer admin manages its organization's groups and allocates any of its tickets;
  // a member holds licenses:allocate for the groups it administers only (the licenses service checks that).
  'customer-admin': new Set<Permission>(['customer-groups:write', 'licenses:allocate', 'releases:read', 'products:read', 'customers:read', 'licenses:read', 'licenses:reveal', 'machines:read', 'machines:write', 'machines:activate', 'users:read', 'events:read', 'orders:read', 'subscriptions:cancel', 'contracts:read', 'licenses:create']),
  'customer-member': new Set<Permission>(['licenses:allocate', 'releases:read', 'products:read', 'customers:read', 'licenses:read', 'machines:read', 'machines:activate']),
  // Partner roles: every read and write is narrowed to the partner's customers and the products of its
  // groups (Scope), and each write needs the partner's right on the product (assertPartnerRight).
  'partner-admin': new Set<Permission>([...PARTNER_PERMISSIONS, 'users:read', 'users:write', 'reports:read']),
  'partner-member': new Set<Permission>(PARTNER_PERMISSIONS),
};

/** Which roles a role may hand out (to users or tokens): never more than it has. */
export function canGrantRole(granter: Role, role: Role): boolean {
  if (granter === 'owner') return true;
  if (granter === 'admin') return role !== 'owner';
  // A partner admin manages its own partner's users (the users module keeps it to its own partner).
  if (granter === 'partner-admin') return isPartnerRole(role);
  return false;
}

export function isStaffRole(role: string): role is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(role);
}
export function isCustomerRole(role: string): role is CustomerRole {
  return (CUSTOMER_ROLES as readonly string[]).includes(role);
}
export function isPartnerRole(role: string): role is PartnerRole {
  return (PARTNER_ROLES as readonly string[]).includes(role);
}

/**
 * What an actor may see. `customerId` narrows every read to one organization. A partner actor has
 * `partnerId` (its customers: `customers.partner_id`), `productIds` (the products of its groups) and
 * `partnerRights` (per product, the union of its rights over the groups holding it); the same
 * `*.access.ts` filters apply them, routes do not change.
 */
export interface Scope {
  readonly customerId?: string;
  readonly productIds?: readonly string[];
  readonly partnerId?: string;
  readonly partnerRights?: ReadonlyMap<string, ReadonlySet<PartnerRight>>;
}

/** Who is making a request, resolved once by the auth layer from the credential. */
export interface Actor {
  /** `license`: a client application, identified by the license key it sent. */
  readonly type: 'user' | 'token' | 'admin-token' | 'system' | 'license';
  readonly id: string | null;
  readonly role: Role;
  readonly scope: Scope;
  readonly label: string;
  /** The session id when signed in with a session. */
  readonly sessionId?: string;
  /**
   * An API token's creator's role *now*: the token can do only what both its own role and this role allow,
   * so a token never outlives its creator's rights (demote the creator and the token is demoted with it).
   * Absent for sessions, the admin token and tokens without a user as creator (CLI, KEYHAVEN_ADMIN_TOKEN).
   */
  readonly limitedBy?: Role;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, role: 'owner', scope: {}, label: 'system' };

export function can(actor: Actor, permission: Permission): boolean {
  return ROLE_PERMISSIONS[actor.role].has(permission) && (actor.limitedBy === undefined || ROLE_PERMISSIONS[actor.limitedBy].has(permission));
}

/** Whether this actor may hand out (or act on a holder of) `role`: its own role and, for a token, its creator's. */
export function actorCanGrant(actor: Actor, role: Role): boolean {
  return canGrantRole(actor.role, role) && (actor.limitedBy === undefined || canGrantRole(actor.limitedBy, role));
}

export function assertCan(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw new AppError('FORBIDDEN', `Your role (${actor.role}) does not allow ${permission}`);
}

export function isStaff(actor: Actor): boolean {
  return isStaffRole(actor.role);
}

/**
 * A partner actor needs `right` on the product it acts on (granted through one of its product groups):
 * else 403 FORBIDDEN naming the missing right. Staff and customer actors pass (their role decides).
 */
export function assertPartnerRight(actor: Actor, productId: string, right: PartnerRight | readonly PartnerRight[]): void {
  if (actor.scope.partnerId === undefined) return;
  for (const one of typeof right === 'string' ? [right] : right) {
    if (!actor.scope.partnerRights?.get(productId)?.has(one)) {
      throw new AppError('FORBIDDEN', `Your partner has no ${one} right on this product`, { right: one, productId });
    }
  }
}

/** A write no partner right covers (license edits, upgrades, machines, orders): 403 FORBIDDEN for a partner actor. */
export function refusePartner(actor: Actor, what: string): void {
  if (actor.scope.partnerId === undefined) return;
  throw new AppError('FORBIDDEN', `Partners cannot ${what}: no partner right covers it`);
}

/** How a route is protected; every route must declare one (checked when routes are registered). */
export type RouteAccess =
  | { readonly public: true }
  | { readonly authenticated: true }
  | {
      readonly permission: Permission;
      /**
       * Staff roles only, even where a customer role holds the permission (e.g. retention settings under
       * `releases:read`): a customer credential gets 403 FORBIDDEN.
       */
      readonly staffOnly?: true;
    };
