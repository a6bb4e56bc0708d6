import Type from 'typebox';
import { randomBytes } from 'node:crypto';
import type { Db, Executor, Trx } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import { SYSTEM_ACTOR, type Actor } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { JobQueue } from '../jobs/jobs.service.js';
import type { ModuleWiring } from '../../wiring.js';
import type { MailService } from '../mail/mail.service.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { assertMayManageUser } from '../users/users.access.js';
import type { User, UsersService } from '../users/users.service.js';
import type { PasswordsService } from './passwords.service.js';

export type PasswordLinkPurpose = 'set' | 'reset';

/** How long a link works: a welcome link a week, a reset link an hour. */
export const PASSWORD_LINK_TTL_MS: Record<PasswordLinkPurpose, number> = { set: 7 * 86_400_000, reset: 3_600_000 };
/** A second reset request for the same account within this window sends no second mail. */
export const RESET_THROTTLE_MS = 60_000;

const TOKEN_PREFIX = 'khpw_';
/** The job that turns a reset request into a mail (or into nothing, for an address without an account). */
export const RESET_REQUEST_JOB = 'password.reset_request';

/** How staff hand a set-password link over: mailed to the user, or shown once to the staff member. */
export type LinkDelivery = 'mail' | 'show';

export interface PasswordLink {
  /** The one-time token (only here; stored as a digest). */
  token: string;
  /** `${publicUrl}/set-password?token=...` */
  url: string;
  expiresAt: string;
  purpose: PasswordLinkPurpose;
}

/**
 * One-time links to set or reset a password. The token is 32 random bytes, stored only as a keyed digest
 * with its purpose and expiry; completing consumes it with a conditional UPDATE (unused and unexpired), so
 * it works once, and also voids the account's other outstanding links and ends its sessions.
 */
export interface PasswordLinksDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  mail: MailService;
  jobs: JobQueue;
  users: UsersService;
  passwords: PasswordsService;
  sessions: SessionsService;
  publicUrl: string;
}

export class PasswordLinksService {
  constructor(private readonly deps: PasswordLinksDeps) {}

  /** The reset-request job (the address travels sealed). */
  wiring(): ModuleWiring {
    return {
      jobs: [
        {
          type: RESET_REQUEST_JOB,
          payload: Type.Object({ sealed: Type.String(), ip: Type.Optional(Type.String()), requestId: Type.Optional(Type.String()) }),
          run: (payload: { sealed: string; ip?: string; requestId?: string }) =>
            this.mailReset(this.deps.keyring.decrypt('password-reset-request', payload.sealed).toString('utf8'), { ip: payload.ip, requestId: payload.requestId }),
        },
      ],
    };
  }

  /**
   * A new link for a user, inside the caller's transaction (e.g. the order that created the user), so the
   * link exists exactly when the change does. Earlier unused links of the same purpose stop working.
   */
  async create(executor: Executor, userId: string, purpose: PasswordLinkPurpose): Promise<PasswordLink> {
    const now = this.deps.clock.now();
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + PASSWORD_LINK_TTL_MS[purpose]).toISOString();
    await executor
      .updateTable('password_tokens')
      .set({ used_at: now.toISOString() })
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute();
    await executor
      .insertInto('password_tokens')
      .values({
        id: newId('pwt'),
        user_id: userId,
        purpose,
        token_digest: this.deps.keyring.digest('password-token', token),
        expires_at: expiresAt,
        used_at: null,
        created_at: now.toISOString(),
      })
      .execute();
    return { token, url: `${this.deps.publicUrl}/set-password?token=${token}`, expiresAt, purpose };
  }

  /**
   * A reset request. It does the same work whether or not the address has an account: one sealed job,
   * keyed by the address's digest and the minute (so repeats within a minute are one job either way), and
   * nothing else. Neither the answer (always 202) nor its time tells whether the address has an account;
   * the job looks the account up later and mails `password.reset` to an existing, enabled one.
   */
  async requestReset(email: string, meta: { ip?: string; requestId?: string } = {}): Promise<void> {
    const address = email.trim().toLowerCase();
    const minute = Math.floor(this.deps.clock.now().getTime() / 60_000);
    await this.deps.jobs.enqueue(this.deps.db, {
      type: RESET_REQUEST_JOB,
      payload: { sealed: this.deps.keyring.encrypt('password-reset-request', address), ...meta },
      uniqueKey: `password-reset:${this.deps.keyring.digest('password-reset-request', address)}:${minute}`,
    });
  }

  /** The reset-request job: for an existing, enabled account, a reset link by mail, at most once a minute per account. */
  private async mailReset(email: string, meta: { ip?: string; requestId?: string }): Promise<void> {
    const user = await this.deps.users.credentials(this.deps.db, { email });
    if (!user || user.user.disabled) return;
    const row = user.user;
    const recent = await this.deps.db
      .selectFrom('password_tokens')
      .select('id')
      .where('user_id', '=', row.id)
      .where('purpose', '=', 'reset')
      .where('created_at', '>', new Date(this.deps.clock.now().getTime() - RESET_THROTTLE_MS).toISOString())
      .executeTakeFirst();
    if (recent) return;
    const ctx: RequestContext = { actor: SYSTEM_ACTOR, ...meta };
    await this.deps.db.transaction().execute((trx) => this.mailLink(trx, ctx, row, 'reset', 'user.password_reset_requested'));
  }

  /**
   * Staff hand a user a fresh set-password link (a new user, one who lost the first mail, or an instance
   * without SMTP): `mail` sends it to the user's address; `show` returns it, once, to the staff member
   * instead (nothing is mailed, so nothing lands in the outbox), audited as `user.password_link_shown`
   * without the secret. Either way the actor must be allowed to manage the user (`assertMayManageUser`):
   * whoever can set someone's password can become them.
   */
  async sendSetLink(ctx: RequestContext, userId: string, deliver: LinkDelivery = 'mail'): Promise<{ expiresAt: string; url?: string }> {
    const row = await this.deps.users.find(ctx, userId);
    if (!row) throw notFound('User', userId);
    assertMayManageUser(ctx.actor, { id: row.id, role: row.role, customer_id: row.customerId, partner_id: row.partnerId });
    if (row.disabled) throw new AppError('CONFLICT', 'The user is disabled; enable it first');
    if (deliver === 'show') {
      const link = await this.deps.db.transaction().execute(async (trx) => {
        const created = await this.create(trx, row.id, 'set');
        await this.deps.events.record(trx, ctx, { action: 'user.password_link_shown', targetType: 'user', targetId: row.id, customerId: row.customerId, after: { expiresAt: created.expiresAt } });
        return created;
      });
      return { expiresAt: link.expiresAt, url: link.url };
    }
    const link = await this.deps.db.transaction().execute((trx) => this.mailLink(trx, ctx, row, 'set', 'user.password_link_sent'));
    return { expiresAt: link.expiresAt };
  }

  /** A new link of `purpose`, its mail (template `password.<purpose>`) and the audit event, in one transaction. */
  private async mailLink(
    trx: Trx,
    ctx: RequestContext,
    row: User,
    purpose: 'set' | 'reset',
    action: string,
  ) {
    const link = await this.create(trx, row.id, purpose);
    await this.deps.mail.send(trx, {
      template: `password.${purpose}`,
      to: row.email,
      data: { user: { name: row.name, email: row.email }, url: link.url, expiresAt: link.expiresAt },
      secrets: [link.token],
      category: 'essential',
      userId: row.id,
      customerId: row.customerId,
    });
    await this.deps.events.record(trx, ctx, { action, targetType: 'user', targetId: row.id, customerId: row.customerId });
    return link;
  }

  /**
   * Sets the password with a set or reset token: 400 TOKEN_INVALID for an unknown, expired or used token
   * (or a disabled account). Ends the user's sessions and voids its other links.
   */
  async complete(token: string, password: string, meta: { ip?: string; requestId?: string } = {}): Promise<{ userId: string; email: string }> {
    const digest = this.deps.keyring.digest('password-token', token);
    // Hash first: argon2 takes tens of milliseconds and must not hold the transaction open.
    const passwordHash = await this.deps.passwords.hash(password);
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const consumed = await trx
        .updateTable('password_tokens')
        .set({ used_at: now })
        .where('token_digest', '=', digest)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning(['user_id', 'purpose'])
        .executeTakeFirst();
      if (!consumed) throw new AppError('TOKEN_INVALID', 'This link is not valid: it is unknown, expired or was used already. Ask for a new one.');
      const user = await this.deps.users.findById(trx, consumed.user_id);
      if (!user || user.disabled) throw new AppError('TOKEN_INVALID', 'This link is not valid: the account is disabled.');
      await this.deps.users.setPasswordHash(trx, user.id, passwordHash);
      await trx.updateTable('password_tokens').set({ used_at: now }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
      await this.deps.sessions.endAllOf(trx, user.id);
      const actor: Actor = { type: 'user', id: user.id, role: user.role, scope: user.customerId ? { customerId: user.customerId } : {}, label: user.email };
      await this.deps.events.record(trx, { actor, ...meta }, {
        action: consumed.purpose === 'set' ? 'user.password_set' : 'user.password_reset',
        targetType: 'user',
        targetId: user.id,
        customerId: user.customerId,
      });
      return { userId: user.id, email: user.email };
    });
  }
}
