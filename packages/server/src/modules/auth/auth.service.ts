import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import { actorCanGrant, can, isCustomerRole, isPartnerRole, PERMISSIONS, ROLES, STAFF_ROLES, type Actor, type Permission, type Role } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { PartnersService } from '../partners/partners.service.js';
import type { PasswordsService } from '../passwords/passwords.service.js';
import type { User, UsersService } from '../users/users.service.js';
import type { ModuleWiring } from '../../wiring.js';
import { SESSION_PREFIX, type SessionsService } from '../sessions/sessions.service.js';

const TOKEN_PREFIX = 'khat_';

export interface ApiToken {
  id: string;
  name: string;
  hint: string;
  role: Role;
  customerId: string | null;
  createdBy: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface CreateTokenInput {
  name: string;
  role: Role;
  customerId?: string;
  expiresInDays?: number;
}

export interface SignInResult {
  token: string;
  expiresAt: string;
  user: User;
}

export interface AuthDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  customers: CustomersService;
  /** A partner user's scope: its partner's products and rights. */
  partners: PartnersService;
  users: UsersService;
  passwords: PasswordsService;
  sessions: SessionsService;
  /** KEYHAVEN_ADMIN_TOKEN: an owner credential for automation, or none. */
  adminToken: string | undefined;
}

function userActor(user: User, scope: Actor['scope'] = user.customerId ? { customerId: user.customerId } : {}): Actor {
  return { type: 'user', id: user.id, role: user.role, scope, label: user.email };
}

/** The signed-in actor as `getMe` answers it. */
export interface Me {
  actor: { type: string; role: Role; label: string; customerId: string | null; partnerId: string | null; permissions: Permission[]; grantableRoles: Role[] };
  user: User | null;
  /** Vendor staff roles; the other roles belong to customer organizations. */
  staffRoles: Role[];
}

/**
 * Credentials: staff and customer sessions, API tokens and the automation admin token. Every credential
 * is stored as a keyed digest only; the plain value exists once, in the answer that creates it.
 */
export class AuthService {
  private readonly adminTokenDigest: Buffer | undefined;

  constructor(private readonly deps: AuthDeps) {
    this.adminTokenDigest = deps.adminToken ? createHash('sha256').update(deps.adminToken).digest() : undefined;
  }

  /** How event lists name API tokens. */
  wiring(): ModuleWiring {
    return {
      namers: {
        api_token: async (ctx, ids) => {
          let q = this.deps.db.selectFrom('api_tokens').select(['id', 'name']).where('id', 'in', ids);
          if (ctx.actor.scope.customerId !== undefined) q = q.where('customer_id', '=', ctx.actor.scope.customerId);
          return new Map((await q.execute()).map((r) => [r.id, r.name]));
        },
      },
    };
  }

  /** Turns a bearer credential into an actor, or throws UNAUTHENTICATED saying why. */
  async authenticate(bearer: string): Promise<Actor> {
    if (bearer.startsWith(SESSION_PREFIX)) return this.fromSession(bearer);
    if (bearer.startsWith(TOKEN_PREFIX)) return this.fromToken(bearer);
    if (this.adminTokenDigest && timingSafeEqual(createHash('sha256').update(bearer).digest(), this.adminTokenDigest)) {
      return { type: 'admin-token', id: null, role: 'owner', scope: {}, label: 'KEYHAVEN_ADMIN_TOKEN' };
    }
    throw new AppError('UNAUTHENTICATED', 'The bearer token is not valid');
  }

  private async fromSession(token: string): Promise<Actor> {
    const { db, clock, sessions, users } = this.deps;
    const session = await sessions.find(token);
    const user = session && !session.revoked ? await users.findById(db, session.userId) : undefined;
    if (!session || !user || user.disabled) throw new AppError('UNAUTHENTICATED', 'The session is not valid; sign in again');
    if (new Date(session.expiresAt) <= clock.now()) {
      throw new AppError('UNAUTHENTICATED', 'The session has expired; sign in again', { reason: 'SESSION_EXPIRED' });
    }
    return { ...(await this.actorOf(user)), sessionId: session.id };
  }

  /**
   * A user's actor. A partner user's scope is read from its partner's grants at every request (a changed
   * grant applies at once); a partner role without a partner is refused rather than left unscoped.
   */
  private async actorOf(user: User): Promise<Actor> {
    if (!isPartnerRole(user.role)) return userActor(user);
    if (!user.partnerId) throw new AppError('UNAUTHENTICATED', 'This partner user belongs to no partner');
    return userActor(user, await this.deps.partners.scopeOf(this.deps.db, user.partnerId));
  }

  private async fromToken(token: string): Promise<Actor> {
    const { db, clock, keyring } = this.deps;
    const row = await db.selectFrom('api_tokens').selectAll().where('token_digest', '=', keyring.digest('api-token', token)).executeTakeFirst();
    if (!row || row.revoked_at !== null) throw new AppError('UNAUTHENTICATED', 'The API token is not valid');
    const now = clock.now();
    if (row.expires_at !== null && new Date(toIso(row.expires_at)) <= now) {
      throw new AppError('UNAUTHENTICATED', 'The API token has expired', { reason: 'TOKEN_EXPIRED' });
    }
    const limitedBy = await this.creatorRole(row.created_by, row.customer_id);
    // Record use at most once a minute: no write on every request.
    if (row.last_used_at === null || now.getTime() - new Date(toIso(row.last_used_at)).getTime() > 60_000) {
      await db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
    }
    return {
      type: 'token',
      id: row.id,
      role: row.role as Role,
      scope: row.customer_id ? { customerId: row.customer_id } : {},
      label: `token ${row.name}`,
      ...(limitedBy !== undefined ? { limitedBy } : {}),
    };
  }

  /**
   * A token never outlives its creator's rights: it can do only what the user who created it may do now
   * (the returned role becomes `Actor.limitedBy`), and a disabled or deleted creator ends it (401). A token
   * made by another token answers to that token's creator, and needs that token to be still valid. Tokens
   * made by the CLI or KEYHAVEN_ADMIN_TOKEN have no creator: undefined.
   */
  private async creatorRole(createdBy: string | null, customerId: string | null): Promise<Role | undefined> {
    const { db, clock, users } = this.deps;
    const refused = (why: string) => new AppError('UNAUTHENTICATED', `The API token is not valid: ${why}`, { reason: 'TOKEN_CREATOR_INVALID' });
    let creator = createdBy;
    for (let depth = 0; creator !== null; depth++) {
      if (depth > 8) throw refused('its chain of creating tokens is too long');
      if (!creator.startsWith('tok_')) {
        const user = await users.findById(db, creator);
        if (!user || user.disabled) throw refused('the user who created it is disabled or gone');
        if (user.customerId !== null && user.customerId !== customerId) throw refused("it reaches beyond its creator's organization");
        if (user.partnerId !== null) throw refused("its creator is a partner user, and tokens carry no partner scope");
        return user.role;
      }
      const parent = await db.selectFrom('api_tokens').select(['created_by', 'revoked_at', 'expires_at']).where('id', '=', creator).executeTakeFirst();
      if (!parent || parent.revoked_at !== null || (parent.expires_at !== null && new Date(toIso(parent.expires_at)) <= clock.now())) {
        throw refused('the token that created it was revoked or has expired');
      }
      creator = parent.created_by;
    }
    return undefined;
  }

  async signIn(email: string, password: string, meta: { ip?: string; userAgent?: string; requestId?: string }): Promise<SignInResult> {
    const { db, clock, events, users, passwords, sessions } = this.deps;
    const found = await users.credentials(db, { email });
    const ok = await passwords.verify(found?.passwordHash ?? null, password);
    if (!found || !ok || found.user.disabled) throw new AppError('UNAUTHENTICATED', 'The e-mail or password is wrong');
    const { user } = found;
    const now = clock.now().toISOString();
    const actor = await this.actorOf(user);
    const session = await db.transaction().execute(async (trx) => {
      const started = await sessions.start(trx, user.id, meta);
      await users.recordSignIn(trx, user.id, now);
      await events.record(trx, { actor, requestId: meta.requestId, ip: meta.ip }, {
        action: 'session.created',
        targetType: 'user',
        targetId: user.id,
        customerId: user.customerId,
      });
      return started;
    });
    return { token: session.token, expiresAt: session.expiresAt, user: { ...user, lastSignInAt: now } };
  }

  async signOut(ctx: RequestContext): Promise<void> {
    if (!ctx.actor.sessionId) return;
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.sessions.end(trx, ctx.actor.sessionId!);
      await this.deps.events.record(trx, ctx, { action: 'session.revoked', targetType: 'user', targetId: ctx.actor.id ?? 'unknown', customerId: ctx.actor.scope.customerId ?? null });
    });
  }

  /**
   * Who is calling, and what it may do: `permissions` and `grantableRoles` come from the one role table
   * (http/access.ts) and respect a token's `limitedBy`, so clients show only what the API would allow
   * without keeping a copy of the table.
   */
  async me(ctx: RequestContext): Promise<Me> {
    const user = ctx.actor.type === 'user' && ctx.actor.id ? await this.deps.users.find(ctx, ctx.actor.id) : undefined;
    return {
      actor: {
        type: ctx.actor.type,
        role: ctx.actor.role,
        label: ctx.actor.label,
        customerId: ctx.actor.scope.customerId ?? null,
        partnerId: ctx.actor.scope.partnerId ?? null,
        permissions: PERMISSIONS.filter((permission) => can(ctx.actor, permission)),
        grantableRoles: ROLES.filter((role) => actorCanGrant(ctx.actor, role)),
      },
      user: user ?? null,
      staffRoles: [...STAFF_ROLES],
    };
  }

  /**
   * A signed-in user changes its own password; other sessions end. Wrong current passwords are limited
   * per account (a stolen session must not become a password-guessing oracle): see
   * `PasswordsService.countAttempt`. A right password clears the count.
   */
  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<void> {
    const { db, events, users, passwords, sessions } = this.deps;
    if (ctx.actor.type !== 'user' || !ctx.actor.id) throw new AppError('FORBIDDEN', 'Only a signed-in user has a password to change');
    passwords.assertLongEnough(newPassword, 'newPassword');
    const found = await users.credentials(db, { id: ctx.actor.id });
    if (!found) throw new AppError('UNAUTHENTICATED', 'The session is not valid; sign in again');
    const { user } = found;
    await passwords.countAttempt(user.id);
    if (!(await passwords.verify(found.passwordHash, currentPassword))) {
      throw new AppError('CURRENT_PASSWORD_WRONG', 'The current password is wrong', { fields: { currentPassword: 'is wrong' } });
    }
    const hashed = await passwords.hash(newPassword);
    await db.transaction().execute(async (trx) => {
      await users.setPasswordHash(trx, user.id, hashed);
      await passwords.clearAttempts(trx, user.id);
      await sessions.endAllOf(trx, user.id, ctx.actor.sessionId);
      await events.record(trx, ctx, { action: 'user.password_changed', targetType: 'user', targetId: user.id, customerId: user.customerId });
    });
  }

  async createToken(ctx: RequestContext, input: CreateTokenInput): Promise<{ token: string; apiToken: ApiToken }> {
    if (!actorCanGrant(ctx.actor, input.role)) {
      throw new AppError('ROLE_NOT_GRANTABLE', `Your role (${ctx.actor.role}) cannot create a token with the role ${input.role}`);
    }
    if (isPartnerRole(input.role)) {
      // A token carries no partner yet: unscoped, a partner role would reach every organization.
      throw new AppError('VALIDATION_FAILED', 'API tokens with a partner role are not supported; partner users sign in', { fields: { role: 'must be a staff or customer role' } });
    }
    let customerId: string | null = null;
    if (isCustomerRole(input.role)) {
      if (!input.customerId) throw new AppError('VALIDATION_FAILED', 'A customer token needs a customerId', { fields: { customerId: 'is required for a customer role' } });
      customerId = (await this.deps.customers.get(ctx, input.customerId)).id;
    } else if (input.customerId) {
      throw new AppError('VALIDATION_FAILED', 'A staff token does not belong to a customer', { fields: { customerId: 'must be absent for a staff role' } });
    }
    const now = this.deps.clock.now();
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const apiToken: ApiToken = {
      id: newId('tok'),
      name: input.name,
      hint: token.slice(-4),
      role: input.role,
      customerId,
      createdBy: ctx.actor.id,
      expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString() : null,
      lastUsedAt: null,
      revokedAt: null,
      createdAt: now.toISOString(),
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('api_tokens')
        .values({
          id: apiToken.id,
          name: apiToken.name,
          token_digest: this.deps.keyring.digest('api-token', token),
          token_hint: apiToken.hint,
          role: apiToken.role,
          customer_id: customerId,
          created_by: apiToken.createdBy,
          expires_at: apiToken.expiresAt,
          last_used_at: null,
          revoked_at: null,
          created_at: apiToken.createdAt,
        })
        .execute();
      await this.deps.events.record(trx, ctx, { action: 'token.created', targetType: 'api_token', targetId: apiToken.id, customerId, after: apiToken });
    });
    return { token, apiToken };
  }

  async listTokens(ctx: RequestContext, limit: number, cursor?: string): Promise<Page<ApiToken>> {
    let query = this.deps.db.selectFrom('api_tokens').selectAll().orderBy('id', 'desc').limit(limit + 1);
    if (ctx.actor.scope.customerId !== undefined) query = query.where('customer_id', '=', ctx.actor.scope.customerId);
    if (cursor) query = query.where('id', '<', cursor);
    const rows = await query.execute();
    return page(
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        hint: r.token_hint,
        role: r.role as Role,
        customerId: r.customer_id,
        createdBy: r.created_by,
        expiresAt: toIso(r.expires_at),
        lastUsedAt: toIso(r.last_used_at),
        revokedAt: toIso(r.revoked_at),
        createdAt: toIso(r.created_at),
      })),
      limit,
    );
  }

  async revokeToken(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      let query = trx.selectFrom('api_tokens').selectAll().where('id', '=', id);
      if (ctx.actor.scope.customerId !== undefined) query = query.where('customer_id', '=', ctx.actor.scope.customerId);
      const row = await query.executeTakeFirst();
      if (!row) throw notFound('API token', id);
      if (!actorCanGrant(ctx.actor, row.role as Role)) throw new AppError('ROLE_NOT_GRANTABLE', 'Your role cannot revoke a token with a higher role');
      if (row.revoked_at !== null) return;
      await trx.updateTable('api_tokens').set({ revoked_at: this.deps.clock.now().toISOString() }).where('id', '=', id).execute();
      await this.deps.events.record(trx, ctx, { action: 'token.revoked', targetType: 'api_token', targetId: id, customerId: row.customer_id });
    });
  }
}
