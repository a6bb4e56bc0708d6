import type { Db, Executor } from '../../db/database.js';
import { actorCanGrant, isCustomerRole, isPartnerRole, isStaffRole, type CustomerRole, type Role } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { PartnersService } from '../partners/partners.service.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { assertMayManageUser } from './users.access.js';
import {
  countActiveOwners,
  customerAdminEmails,
  partnerAdminEmails,
  customerHasUsers,
  findUserRow,
  findUserRowByEmail,
  findUserRowById,
  findUserRowsByIds,
  insertUser,
  listUserRows,
  toUser,
  updateUserRow,
  type User,
  type UserRow,
} from './users.repository.js';
import type { ModuleWiring } from '../../wiring.js';

export type { User } from './users.repository.js';

export interface CreateUserInput {
  email: string;
  name?: string | null;
  password?: string;
  role: Role;
  customerId?: string;
  /** A partner user's partner: required with a partner role, refused with any other. */
  partnerId?: string;
}

export interface UpdateUserInput {
  name?: string | null;
  role?: Role;
  disabled?: boolean;
  password?: string;
}

/**
 * What users need of password hashing: the passwords module implements it (PasswordsService) and sits above
 * users, so users never imports it.
 */
export interface PasswordHasher {
  /** The stored form of a new password (slow: called before the transaction opens). */
  hash(password: string): Promise<string>;
}

export interface UsersDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  customers: CustomersService;
  /** A partner user names an existing partner. */
  partners: PartnersService;
  /** Hashes the passwords users store (the passwords module's PasswordsService). */
  passwords: PasswordHasher;
  /** Disabling a user or setting its password ends its sessions. */
  sessions: SessionsService;
}

/** The users table: staff and portal users, their roles, and the stored password hash (hashed by the PasswordHasher it is given). */
export class UsersService {
  constructor(private readonly deps: UsersDeps) {}

  /**
   * Event lists name users by name and e-mail (the e-mail is what the console identifies users by); a
   * customer viewer gets names of its own organization's users only. A customer with users cannot be deleted.
   */
  wiring(): ModuleWiring {
    return {
      customerUses: [async (executor, customerId) => ((await customerHasUsers(executor, customerId)) ? 'users' : undefined)],
      namers: {
        user: async (ctx, ids) => {
          let q = this.deps.db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', ids);
          if (ctx.actor.scope.customerId !== undefined) q = q.where('customer_id', '=', ctx.actor.scope.customerId);
          if (ctx.actor.scope.partnerId !== undefined) q = q.where('partner_id', '=', ctx.actor.scope.partnerId);
          return new Map((await q.execute()).map((r) => [r.id, r.name ? `${r.name} (${r.email})` : r.email]));
        },
      },
    };
  }

  /**
   * Creates a staff user (no customerId, no partnerId), a customer user (customer role + customerId) or a
   * partner user (partner role + partnerId). A partner admin creates users of its own partner only.
   */
  async create(ctx: RequestContext, input: CreateUserInput): Promise<User> {
    if (!actorCanGrant(ctx.actor, input.role)) {
      throw new AppError('ROLE_NOT_GRANTABLE', `Your role (${ctx.actor.role}) cannot grant the role ${input.role}`);
    }
    let customerId: string | null = null;
    let partnerId: string | null = null;
    if (isPartnerRole(input.role)) {
      if (!input.partnerId) throw new AppError('VALIDATION_FAILED', 'A partner user needs a partnerId', { fields: { partnerId: 'is required for a partner role' } });
      if (input.customerId) throw new AppError('VALIDATION_FAILED', 'A partner user does not belong to a customer', { fields: { customerId: 'must be absent for a partner role' } });
      const own = ctx.actor.scope.partnerId;
      if ((own !== undefined && own !== input.partnerId) || !(await this.deps.partners.exists(this.deps.db, input.partnerId))) {
        throw new AppError('REFERENCE_NOT_FOUND', `No partner has the id ${input.partnerId}`, { fields: { partnerId: 'must name an existing partner' } });
      }
      partnerId = input.partnerId;
    } else if (input.partnerId) {
      throw new AppError('VALIDATION_FAILED', 'Only partner users belong to a partner', { fields: { partnerId: 'must be absent for a staff or customer role' } });
    } else if (isCustomerRole(input.role)) {
      if (!input.customerId) throw new AppError('VALIDATION_FAILED', 'A customer user needs a customerId', { fields: { customerId: 'is required for a customer role' } });
      customerId = (await this.deps.customers.get(ctx, input.customerId)).id;
    } else if (input.customerId) {
      throw new AppError('VALIDATION_FAILED', 'Staff users do not belong to a customer', { fields: { customerId: 'must be absent for a staff role' } });
    }
    const now = this.deps.clock.now().toISOString();
    const row: UserRow = {
      id: newId('usr'),
      email: input.email.toLowerCase(),
      name: input.name ?? null,
      password_hash: input.password ? await this.deps.passwords.hash(input.password) : null,
      kind: isStaffRole(input.role) ? 'staff' : isPartnerRole(input.role) ? 'partner' : 'customer',
      role: input.role,
      customer_id: customerId,
      partner_id: partnerId,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      if (await findUserRowByEmail(trx, row.email)) {
        throw new AppError('CONFLICT', `A user with e-mail ${row.email} already exists`, { fields: { email: 'is taken' } });
      }
      await insertUser(trx, row);
      await this.deps.events.record(trx, ctx, { action: 'user.created', targetType: 'user', targetId: row.id, customerId, after: toUser(row) });
    });
    return toUser(row);
  }

  /**
   * Creates a customer user without a password inside the caller's transaction: the portal login a use
   * case hands out as part of something the actor may already do (an order gives its buyer one). The
   * role-grant rule of `create` does not apply, because the user reaches only its own organization and
   * cannot sign in before it sets a password through a link sent to its e-mail address.
   */
  async createPortalUserWith(
    executor: Executor,
    ctx: RequestContext,
    input: { email: string; name?: string | null; customerId: string; role: CustomerRole },
  ): Promise<User> {
    const now = this.deps.clock.now().toISOString();
    const row: UserRow = {
      id: newId('usr'),
      email: input.email.toLowerCase(),
      name: input.name ?? null,
      password_hash: null,
      kind: 'customer',
      role: input.role,
      customer_id: input.customerId,
      partner_id: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: now,
      updated_at: now,
    };
    await insertUser(executor, row);
    await this.deps.events.record(executor, ctx, { action: 'user.created', targetType: 'user', targetId: row.id, customerId: input.customerId, after: toUser(row) });
    return toUser(row);
  }

  /** The user with this e-mail (case-insensitive), staff or customer, on the caller's executor; unscoped, as e-mails are unique across both. */
  async findByEmail(executor: Executor, email: string): Promise<User | undefined> {
    const row = await findUserRowByEmail(executor, email);
    return row && toUser(row);
  }

  /** The user with this id, unscoped, on the caller's executor (authentication, links). */
  async findById(executor: Executor, id: string): Promise<User | undefined> {
    const row = await findUserRowById(executor, id);
    return row && toUser(row);
  }

  /** The users with these ids, unscoped, on the caller's executor (a customer group names its members). */
  async byIdsWith(executor: Executor, ids: string[]): Promise<User[]> {
    return (await findUserRowsByIds(executor, [...new Set(ids)])).map(toUser);
  }

  /** The addresses of a partner's enabled admins, on the caller's executor (mail to the holder of a contract). */
  async partnerAdminEmails(executor: Executor, partnerId: string): Promise<string[]> {
    return partnerAdminEmails(executor, partnerId);
  }

  /** The addresses of a customer organization's enabled admins, on the caller's executor (mail to the holder of a contract). */
  async customerAdminEmails(executor: Executor, customerId: string): Promise<string[]> {
    return customerAdminEmails(executor, customerId);
  }

  /** The user with this id if the actor may see it. */
  async find(ctx: RequestContext, id: string): Promise<User | undefined> {
    const row = await findUserRow(this.deps.db, ctx.actor, id);
    return row && toUser(row);
  }

  /** A user and its stored password hash (null: no password yet), by e-mail or id, unscoped: for sign-in and password changes only. */
  async credentials(executor: Executor, by: { email: string } | { id: string }): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const row = 'email' in by ? await findUserRowByEmail(executor, by.email) : await findUserRowById(executor, by.id);
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  /** Stores a new password hash (from PasswordsService.hash) inside the caller's transaction. */
  async setPasswordHash(executor: Executor, id: string, passwordHash: string): Promise<void> {
    await updateUserRow(executor, id, { password_hash: passwordHash, updated_at: this.deps.clock.now().toISOString() });
  }

  async recordSignIn(executor: Executor, id: string, at: string): Promise<void> {
    await updateUserRow(executor, id, { last_sign_in_at: at });
  }

  async get(ctx: RequestContext, id: string): Promise<User> {
    const row = await findUserRow(this.deps.db, ctx.actor, id);
    if (!row) throw notFound('User', id);
    return toUser(row);
  }

  async list(ctx: RequestContext, filter: { customerId?: string; partnerId?: string; kind?: string; limit: number; cursor?: string }): Promise<Page<User>> {
    const rows = await listUserRows(this.deps.db, ctx.actor, filter);
    return page(rows.map(toUser), filter.limit);
  }

  async update(ctx: RequestContext, id: string, input: UpdateUserInput): Promise<User> {
    const passwordHash = input.password ? await this.deps.passwords.hash(input.password) : undefined;
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await findUserRow(trx, ctx.actor, id);
      if (!row) throw notFound('User', id);
      const before = toUser(row);
      assertMayManageUser(ctx.actor, row);
      const changes: Partial<UserRow> = { updated_at: this.deps.clock.now().toISOString() };
      if (input.name !== undefined) changes.name = input.name;
      if (input.role !== undefined && input.role !== before.role) {
        if (!actorCanGrant(ctx.actor, input.role)) throw new AppError('ROLE_NOT_GRANTABLE', `Your role cannot grant ${input.role}`);
        if (isStaffRole(input.role) !== isStaffRole(before.role) || isPartnerRole(input.role) !== isPartnerRole(before.role)) {
          throw new AppError('VALIDATION_FAILED', 'A user cannot move between staff, customer and partner roles', { fields: { role: 'must stay a ' + before.kind + ' role' } });
        }
        changes.role = input.role;
      }
      if (input.disabled !== undefined) changes.disabled_at = input.disabled ? (row.disabled_at ?? this.deps.clock.now().toISOString()) : null;
      if (passwordHash) changes.password_hash = passwordHash;
      const losesOwner = before.role === 'owner' && !before.disabled && (changes.role !== undefined || input.disabled === true);
      if (losesOwner && (await countActiveOwners(trx)) <= 1) {
        throw new AppError('CONFLICT', 'This is the last active owner; make someone else owner first');
      }
      await updateUserRow(trx, id, changes);
      if (changes.disabled_at || passwordHash) {
        // Disabling a user or resetting a password ends its sessions.
        await this.deps.sessions.endAllOf(trx, id);
      }
      const after = toUser({ ...row, ...changes });
      await this.deps.events.record(trx, ctx, {
        action: passwordHash ? 'user.password_set' : 'user.updated',
        targetType: 'user',
        targetId: id,
        customerId: row.customer_id,
        before,
        after,
      });
      return after;
    });
  }
}
