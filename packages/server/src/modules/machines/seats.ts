import { expressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';

/**
 * The seat rule, in one place for every count (activations, license views, dashboards): a machine holds a
 * seat while it is node-locked, while its floating lease has not lapsed, or while an offline license file
 * bound to it is out (a borrowed seat: a file cannot be called back, so the seat stays taken until the
 * file expires or the app checks it in).
 */
export function isAlive(machine: { leaseExpiresAt: string | null; borrowedUntil: string | null }, now: Date): boolean {
  return machine.leaseExpiresAt === null || Date.parse(machine.leaseExpiresAt) > now.getTime() || isBorrowed(machine, now);
}

/** An offline license file bound to the machine is out. */
export function isBorrowed(machine: { borrowedUntil: string | null }, now: Date): boolean {
  return machine.borrowedUntil !== null && Date.parse(machine.borrowedUntil) > now.getTime();
}

/** isAlive in SQL, for any query over `machines`; `now` may be an ISO string (or a placeholder replaced later). */
export function holdsSeat(now: Date | string): Expression<SqlBool> {
  const t = typeof now === 'string' ? now : now.toISOString();
  const eb = expressionBuilder<Database, 'machines'>();
  return eb.or([eb('machines.lease_expires_at', 'is', null), eb('machines.lease_expires_at', '>', t), eb('machines.borrowed_until', '>', t)]);
}

/**
 * A machine whose offline license file is out keeps its seat: the file cannot be called back, so freeing
 * the seat would let another machine take it while the file still works (seats × 2).
 */
export function refuseBorrowed(machine: { fingerprint: string; borrowedUntil: string | null }, now: Date): void {
  if (!isBorrowed(machine, now)) return;
  throw new AppError(
    'SEAT_BORROWED',
    `An offline license file for this machine is out until ${machine.borrowedUntil}: check it in from the machine (POST /v1/licenses/checkin) or wait until it expires`,
    { fingerprint: machine.fingerprint, borrowedUntil: machine.borrowedUntil },
  );
}
