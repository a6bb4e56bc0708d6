import { randomBytes } from 'node:crypto';
import type { Db, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';

export const SESSION_PREFIX = 'khs_';

export interface SessionsDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  sessionTtlHours: number;
}

/** A stored session, as authentication needs it. */
export interface Session {
  id: string;
  userId: string;
  expiresAt: string;
  revoked: boolean;
}

/**
 * Sign-in sessions (the `sessions` table): started by sign-in, ended by sign-out, and ended for a user
 * whose password changes or who is disabled. It is its own module and depends on no other, so users and password links
 * can end sessions without depending on authentication.
 */
export class SessionsService {
  constructor(private readonly deps: SessionsDeps) {}

  /** A new session for `userId` inside the caller's transaction; the token exists only in this answer. */
  async start(executor: Executor, userId: string, meta: { ip?: string; userAgent?: string }): Promise<{ token: string; expiresAt: string; sessionId: string }> {
    const { clock, keyring, sessionTtlHours } = this.deps;
    const now = clock.now();
    const token = SESSION_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + sessionTtlHours * 3_600_000).toISOString();
    const sessionId = newId('ses');
    await executor
      .insertInto('sessions')
      .values({
        id: sessionId,
        token_digest: keyring.digest('session', token),
        user_id: userId,
        ip: meta.ip ?? null,
        user_agent: meta.userAgent?.slice(0, 500) ?? null,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        revoked_at: null,
      })
      .execute();
    return { token, expiresAt, sessionId };
  }

  /** The session a token names, revoked or expired ones included (the caller says why it refuses). */
  async find(token: string): Promise<Session | undefined> {
    const row = await this.deps.db
      .selectFrom('sessions')
      .select(['id', 'user_id', 'expires_at', 'revoked_at'])
      .where('token_digest', '=', this.deps.keyring.digest('session', token))
      .executeTakeFirst();
    return row && { id: row.id, userId: row.user_id, expiresAt: toIso(row.expires_at), revoked: row.revoked_at !== null };
  }

  /** Ends one session (sign-out). */
  async end(executor: Executor, sessionId: string): Promise<void> {
    await executor.updateTable('sessions').set({ revoked_at: this.deps.clock.now().toISOString() }).where('id', '=', sessionId).execute();
  }

  /** Ends every open session of `userId` (but `except`, the caller's own), inside the caller's transaction. */
  async endAllOf(executor: Executor, userId: string, except?: string): Promise<void> {
    let revoke = executor.updateTable('sessions').set({ revoked_at: this.deps.clock.now().toISOString() }).where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (except) revoke = revoke.where('id', '!=', except);
    await revoke.execute();
  }
}
