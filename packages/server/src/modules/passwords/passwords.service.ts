import type { Db, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { PASSWORD_MIN_LENGTH } from '../users/users.schemas.js';
import type { PasswordHasher } from '../users/users.service.js';
import { hashPassword, verifyPassword } from './hashing.js';

/** Wrong current passwords an account may send to `POST /v1/auth/password` before it is locked... */
export const CHANGE_PASSWORD_MAX_FAILURES = 5;
/** ...for this long (429 RATE_LIMITED with Retry-After). */
export const CHANGE_PASSWORD_LOCK_MS = 15 * 60_000;

export interface PasswordsDeps {
  db: Db;
  clock: Clock;
}

/**
 * Passwords: hashing (argon2id) and verification, and the per-account limit on wrong current passwords.
 * Auth (sign-in, change password) and password links come here; users (who store the hashes) receive it as
 * their `PasswordHasher`, so passwords sits above users and users imports none of it. Set and reset links are
 * `PasswordLinksService` (password-links.service.ts).
 */
export class PasswordsService implements PasswordHasher {
  constructor(private readonly deps: PasswordsDeps) {}

  /** The stored form of a new password. Takes tens of milliseconds: call it before opening a transaction. */
  hash(password: string): Promise<string> {
    return hashPassword(password);
  }

  /** Whether `password` matches `storedHash`; with no hash (no account, no password) it takes as long and answers false. */
  verify(storedHash: string | null, password: string): Promise<boolean> {
    return verifyPassword(storedHash, password);
  }

  /** 400 VALIDATION_FAILED on `field` when `password` is shorter than the minimum (routes check it too). */
  assertLongEnough(password: string, field: string): void {
    if (password.length < PASSWORD_MIN_LENGTH) {
      throw new AppError('VALIDATION_FAILED', `The new password needs at least ${PASSWORD_MIN_LENGTH} characters`, { fields: { [field]: 'is too short' } });
    }
  }

  /**
   * Counts one current-password check of `userId`, or throws 429 RATE_LIMITED while the account is locked.
   * Each attempt is counted before the password is checked, so parallel guesses cannot all slip in; past
   * CHANGE_PASSWORD_MAX_FAILURES the account is locked for CHANGE_PASSWORD_LOCK_MS.
   */
  async countAttempt(userId: string): Promise<void> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const locked = (until: Date) => {
      const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
      return new AppError('RATE_LIMITED', `Too many wrong current passwords; try again in ${Math.ceil(seconds / 60)} min`, { retryAfterSeconds: seconds });
    };
    const current = await db.selectFrom('password_attempts').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (current?.locked_until) {
      const until = new Date(toIso(current.locked_until));
      if (until > now) throw locked(until);
      // The lock has run out: counting starts again.
      await db.deleteFrom('password_attempts').where('user_id', '=', userId).where('locked_until', '=', current.locked_until).execute();
    }
    const counted = await db
      .insertInto('password_attempts')
      .values({ user_id: userId, failures: 1, locked_until: null, updated_at: now.toISOString() })
      .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ failures: eb('password_attempts.failures', '+', 1), updated_at: now.toISOString() })))
      .returning('failures')
      .executeTakeFirstOrThrow();
    if (counted.failures > CHANGE_PASSWORD_MAX_FAILURES) {
      const until = new Date(now.getTime() + CHANGE_PASSWORD_LOCK_MS);
      await db.updateTable('password_attempts').set({ locked_until: until.toISOString() }).where('user_id', '=', userId).where('locked_until', 'is', null).execute();
      throw locked(until);
    }
  }

  /** A right password clears the count, inside the caller's transaction. */
  async clearAttempts(executor: Executor, userId: string): Promise<void> {
    await executor.deleteFrom('password_attempts').where('user_id', '=', userId).execute();
  }
}
