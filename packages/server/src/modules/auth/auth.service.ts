import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import { actorCanGrant, can, isCustomerRole, PERMISSIONS, ROLES, type Actor, type Permission, type Role } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { hashPassword, PASSWORD_MIN_LENGTH, verifyPassword } from '../users/passwords.js';
import { findUserRow, findUserRowByEmail, toUser, updateUserRow, type User } from '../users/users.repository.js';
import type { ModuleWiring } from '../../wiring.js';

const SESSION_PREFIX = 'khs_';
/** Wrong current passwords an account may send to `POST /v1/auth/password` before it is locked... */
export const CHANGE_PASSWORD_MAX_FAILURES = 5;
/** ...for this long (429 RATE_LIMITED with Retry-After). */
export const CHANGE_PASSWORD_LOCK_MS = 15 * 60_000;
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

function secret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The signed-in actor as `getMe` answers it. */
export interface Me {
  actor: { type: string; role: Role; label: string; customerId: string | null; permissions: Permission[]; grantableRoles: Role[] };
  user: User | null;
}

/**
 * Credentials: staff and customer sessions, API tokens and the automation admin token. Every credential
 * is stored as a keyed digest only; the plain value exists once, in the answer that creates it.
 */
export class AuthService {
  private readonly adminTokenDigest: Buffer | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    private readonly events: EventsService,
    private readonly customers: CustomersService,
    private readonly options: { adminToken: string | undefined; sessionTtlHours: number },
  ) {
    this.adminTokenDigest = options.adminToken ? createHash('sha256').update(options.adminToken).digest() : undefined;
  }

  /** How event lists name API tokens. */
  wiring(): ModuleWiring {
    return {
      namers: {
        api_token: async (ctx, ids) => {
          let q = this.db.selectFrom('api_tokens').select(['id', 'name']).where('id', 'in', ids);
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
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.id as session_id', 'sessions.expires_at', 'sessions.revoked_at', 'users.id as user_id', 'users.email', 'users.role', 'users.customer_id', 'users.disabled_at'])
      .where('sessions.token_digest', '=', this.keyring.digest('session', token))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || row.disabled_at !== null) throw new AppError('UNAUTHENTICATED', 'The session is not valid; sign in again');
    if (new Date(toIso(row.expires_at)) <= this.clock.now()) {
      throw new AppError('UNAUTHENTICATED', 'The session has expired; sign in again', { reason: 'SESSION_EXPIRED' });
    }
    return {
      type: 'user',
      id: row.user_id,
      role: row.role as Role,
      scope: row.customer_id ? { customerId: row.customer_id } : {},
      label: row.email,
      sessionId: row.session_id,
    };
  }

  private async fromToken(token: string): Promise<Actor> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('token_digest', '=', this.keyring.digest('api-token', token)).executeTakeFirst();
    if (!row || row.revoked_at !== null) throw new AppError('UNAUTHENTICATED', 'The API token is not valid');
    const now = this.clock.now();
    if (row.expires_at !== null && new Date(toIso(row.expires_at)) <= now) {
      throw new AppError('UNAUTHENTICATED', 'The API token has expired', { reason: 'TOKEN_EXPIRED' });
    }
    const limitedBy = await this.creatorRole(row.created_by, row.customer_id);
    // Record use at most once a minute: no write on every request.
    if (row.last_used_at === null || now.getTime() - new Date(toIso(row.last_used_at)).getTime() > 60_000) {
      await this.db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
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
    const refused = (why: string) => new AppError('UNAUTHENTICATED', `The API token is not valid: ${why}`, { reason: 'TOKEN_CREATOR_INVALID' });
    let creator = createdBy;
    for (let depth = 0; creator !== null; depth++) {
      if (depth > 8) throw refused('its chain of creating tokens is too long');
      if (!creator.startsWith('tok_')) {
        const user = await this.db.selectFrom('users').select(['role', 'customer_id', 'disabled_at']).where('id', '=', creator).executeTakeFirst();
        if (!user || user.disabled_at !== null) throw refused('the user who created it is disabled or gone');
        if (user.customer_id !== null && user.customer_id !== customerId) throw refused("it reaches beyond its creator's organization");
        return user.role as Role;
      }
      const parent = await this.db.selectFrom('api_tokens').select(['created_by', 'revoked_at', 'expires_at']).where('id', '=', creator).executeTakeFirst();
      if (!parent || parent.revoked_at !== null || (parent.expires_at !== null && new Date(toIso(parent.expires_at)) <= this.clock.now())) {
        throw refused('the token that created it was revoked or has expired');
      }
      creator = parent.created_by;
    }
    return undefined;
  }

  async signIn(email: string, password: string, meta: { ip?: string; userAgent?: string; requestId?: string }): Promise<SignInResult> {
    const row = await findUserRowByEmail(this.db, email);
    const ok = await verifyPassword(row?.password_hash ?? null, password);
    if (!row || !ok || row.disabled_at !== null) throw new AppError('UNAUTHENTICATED', 'The e-mail or password is wrong');
    const now = this.clock.now();
    const token = secret(SESSION_PREFIX);
    const expiresAt = new Date(now.getTime() + this.options.sessionTtlHours * 3_600_000).toISOString();
    const sessionId = newId('ses');
    const actor: Actor = { type: 'user', id: row.id, role: row.role as Role, scope: row.customer_id ? { customerId: row.customer_id } : {}, label: row.email };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: sessionId,
          token_digest: this.keyring.digest('session', token),
          user_id: row.id,
          ip: meta.ip ?? null,
          user_agent: meta.userAgent?.slice(0, 500) ?? null,
          created_at: now.toISOString(),
          expires_at: expiresAt,
          revoked_at: null,
        })
        .execute();
      await updateUserRow(trx, row.id, { last_sign_in_at: now.toISOString() });
      await this.events.record(trx, { actor, requestId: meta.requestId, ip: meta.ip }, {
        action: 'session.created',
        targetType: 'user',
        targetId: row.id,
        customerId: row.customer_id,
      });
    });
    return { token, expiresAt, user: toUser({ ...row, last_sign_in_at: now.toISOString() }) };
  }

  async signOut(ctx: RequestContext): Promise<void> {
    if (!ctx.actor.sessionId) return;
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('sessions').set({ revoked_at: this.clock.now().toISOString() }).where('id', '=', ctx.actor.sessionId!).execute();
      await this.events.record(trx, ctx, { action: 'session.revoked', targetType: 'user', targetId: ctx.actor.id ?? 'unknown', customerId: ctx.actor.scope.customerId ?? null });
    });
  }

  /**
   * Who is calling, and what it may do: `permissions` and `grantableRoles` come from the one role table
   * (http/access.ts) and respect a token's `limitedBy`, so clients show only what the API would allow
   * without keeping a copy of the table.
   */
  async me(ctx: RequestContext): Promise<Me> {
    const user = ctx.actor.type === 'user' && ctx.actor.id ? await findUserRow(this.db, ctx.actor, ctx.actor.id) : undefined;
    return {
      actor: {
        type: ctx.actor.type,
        role: ctx.actor.role,
        label: ctx.actor.label,
        customerId: ctx.actor.scope.customerId ?? null,
        permissions: PERMISSIONS.filter((permission) => can(ctx.actor, permission)),
        grantableRoles: ROLES.filter((role) => actorCanGrant(ctx.actor, role)),
      },
      user: user ? toUser(user) : null,
    };
  }

  /**
   * A signed-in user changes its own password; other sessions end. Wrong current passwords are limited
   * per account (a stolen session must not become a password-guessing oracle): each attempt is counted
   * before the password is checked, so parallel guesses cannot all slip in; past
   * CHANGE_PASSWORD_MAX_FAILURES the account's changes are refused with 429 RATE_LIMITED for
   * CHANGE_PASSWORD_LOCK_MS. A right password clears the count.
   */
  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<void> {
    if (ctx.actor.type !== 'user' || !ctx.actor.id) throw new AppError('FORBIDDEN', 'Only a signed-in user has a password to change');
    if (newPassword.length < PASSWORD_MIN_LENGTH) {
      throw new AppError('VALIDATION_FAILED', `The new password needs at least ${PASSWORD_MIN_LENGTH} characters`, { fields: { newPassword: 'is too short' } });
    }
    const row = await findUserRow(this.db, ctx.actor, ctx.actor.id);
    if (!row) throw new AppError('UNAUTHENTICATED', 'The session is not valid; sign in again');
    await this.countPasswordAttempt(row.id);
    if (!(await verifyPassword(row.password_hash, currentPassword))) {
      throw new AppError('CURRENT_PASSWORD_WRONG', 'The current password is wrong', { fields: { currentPassword: 'is wrong' } });
    }
    const hashed = await hashPassword(newPassword);
    const now = this.clock.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await updateUserRow(trx, row.id, { password_hash: hashed, updated_at: now });
      await trx.deleteFrom('password_attempts').where('user_id', '=', row.id).execute();
      let revoke = trx.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', row.id).where('revoked_at', 'is', null);
      if (ctx.actor.sessionId) revoke = revoke.where('id', '!=', ctx.actor.sessionId);
      await revoke.execute();
      await this.events.record(trx, ctx, { action: 'user.password_changed', targetType: 'user', targetId: row.id, customerId: row.customer_id });
    });
  }

  /** Counts one current-password check of `userId`, or throws 429 RATE_LIMITED while the account is locked. */
  private async countPasswordAttempt(userId: string): Promise<void> {
    const now = this.clock.now();
    const locked = (until: Date) => {
      const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
      return new AppError('RATE_LIMITED', `Too many wrong current passwords; try again in ${Math.ceil(seconds / 60)} min`, { retryAfterSeconds: seconds });
    };
    const current = await this.db.selectFrom('password_attempts').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (current?.locked_until) {
      const until = new Date(toIso(current.locked_until));
      if (until > now) throw locked(until);
      // The lock has run out: counting starts again.
      await this.db.deleteFrom('password_attempts').where('user_id', '=', userId).where('locked_until', '=', current.locked_until).execute();
    }
    const counted = await this.db
      .insertInto('password_attempts')
      .values({ user_id: userId, failures: 1, locked_until: null, updated_at: now.toISOString() })
      .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ failures: eb('password_attempts.failures', '+', 1), updated_at: now.toISOString() })))
      .returning('failures')
      .executeTakeFirstOrThrow();
    if (counted.failures > CHANGE_PASSWORD_MAX_FAILURES) {
      const until = new Date(now.getTime() + CHANGE_PASSWORD_LOCK_MS);
      await this.db.updateTable('password_attempts').set({ locked_until: until.toISOString() }).where('user_id', '=', userId).where('locked_until', 'is', null).execute();
      throw locked(until);
    }
  }

  async createToken(ctx: RequestContext, input: CreateTokenInput): Promise<{ token: string; apiToken: ApiToken }> {
    if (!actorCanGrant(ctx.actor, input.role)) {
      throw new AppError('ROLE_NOT_GRANTABLE', `Your role (${ctx.actor.role}) cannot create a token with the role ${input.role}`);
    }
    let customerId: string | null = null;
    if (isCustomerRole(input.role)) {
      if (!input.customerId) throw new AppError('VALIDATION_FAILED', 'A customer token needs a customerId', { fields: { customerId: 'is required for a customer role' } });
      customerId = (await this.customers.get(ctx, input.customerId)).id;
    } else if (input.customerId) {
      throw new AppError('VALIDATION_FAILED', 'A staff token does not belong to a customer', { fields: { customerId: 'must be absent for a staff role' } });
    }
    const now = this.clock.now();
    const token = secret(TOKEN_PREFIX);
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
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('api_tokens')
        .values({
          id: apiToken.id,
          name: apiToken.name,
          token_digest: this.keyring.digest('api-token', token),
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
      await this.events.record(trx, ctx, { action: 'token.created', targetType: 'api_token', targetId: apiToken.id, customerId, after: apiToken });
    });
    return { token, apiToken };
  }

  async listTokens(ctx: RequestContext, limit: number, cursor?: string): Promise<Page<ApiToken>> {
    let query = this.db.selectFrom('api_tokens').selectAll().orderBy('id', 'desc').limit(limit + 1);
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
    await this.db.transaction().execute(async (trx) => {
      let query = trx.selectFrom('api_tokens').selectAll().where('id', '=', id);
      if (ctx.actor.scope.customerId !== undefined) query = query.where('customer_id', '=', ctx.actor.scope.customerId);
      const row = await query.executeTakeFirst();
      if (!row) throw notFound('API token', id);
      if (!actorCanGrant(ctx.actor, row.role as Role)) throw new AppError('ROLE_NOT_GRANTABLE', 'Your role cannot revoke a token with a higher role');
      if (row.revoked_at !== null) return;
      await trx.updateTable('api_tokens').set({ revoked_at: this.clock.now().toISOString() }).where('id', '=', id).execute();
      await this.events.record(trx, ctx, { action: 'token.revoked', targetType: 'api_token', targetId: id, customerId: row.customer_id });
    });
  }
}
