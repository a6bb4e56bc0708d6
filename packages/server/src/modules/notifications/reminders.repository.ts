import { sql } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';

/** A license whose reminder for one offset may be due: it expires inside that offset's window. */
export interface ReminderCandidate {
  id: string;
  expiresAt: string;
  startsAt: string;
}

export interface CandidateWindow {
  /** Expiries strictly after this instant ... */
  after: string;
  /** ... and at or before this one. */
  until: string;
  /** The offset (days before expiry; 0: the expired notice) whose sent rows exclude a license. */
  offset: number;
  /** Reminders (not the expired notice) go to customers only, and skip auto-renewing subscriptions unless told. */
  reminder: boolean;
  includeAutoRenewing: boolean;
}

/**
 * One page of licenses expiring inside `window` that have no `reminders_sent` row for this term and offset,
 * in (expires_at, id) order after the keyset position `from`. Walks `licenses_expires_id_idx`; the
 * anti-join is a primary-key probe per row.
 */
export async function findReminderCandidates(
  db: Executor,
  window: CandidateWindow,
  from: { expiresAt: string; id: string } | undefined,
  limit: number,
): Promise<ReminderCandidate[]> {
  let query = db
    .selectFrom('licenses')
    .select(['licenses.id', 'licenses.expires_at', 'licenses.starts_at'])
    .where('licenses.expires_at', '>', window.after)
    .where('licenses.expires_at', '<=', window.until)
    .where('licenses.revoked_at', 'is', null)
    .where('licenses.suspended_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('reminders_sent')
            .select(sql.lit(1).as('one'))
            .whereRef('reminders_sent.license_id', '=', 'licenses.id')
            .whereRef('reminders_sent.expires_at', '=', 'licenses.expires_at')
            .where('reminders_sent.offset_days', '=', window.offset),
        ),
      ),
    )
    .orderBy('licenses.expires_at')
    .orderBy('licenses.id')
    .limit(limit);
  if (window.reminder) {
    query = query.where('licenses.customer_id', 'is not', null);
    if (!window.includeAutoRenewing) query = query.where((eb) => eb.or([eb('licenses.auto_renew', 'is', null), eb('licenses.auto_renew', '=', 0)]));
  }
  if (from) {
    query = query.where((eb) =>
      eb.or([eb('licenses.expires_at', '>', from.expiresAt), eb.and([eb('licenses.expires_at', '=', from.expiresAt), eb('licenses.id', '>', from.id)])]),
    );
  }
  const rows = await query.execute();
  return rows.map((r) => ({ id: r.id, expiresAt: toIso(r.expires_at!), startsAt: toIso(r.starts_at) }));
}

/** Claims a reminder: true when this call inserted the row (and so owns sending it), false when it existed. */
export async function claimReminder(db: Executor, row: { licenseId: string; expiresAt: string; offset: number; at: string }): Promise<boolean> {
  const result = await db
    .insertInto('reminders_sent')
    .values({ license_id: row.licenseId, expires_at: row.expiresAt, offset_days: row.offset, mail_id: null, sent_at: row.at })
    .onConflict((oc) => oc.columns(['license_id', 'expires_at', 'offset_days']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function setReminderMail(db: Executor, row: { licenseId: string; expiresAt: string; offset: number; mailId: string }): Promise<void> {
  await db
    .updateTable('reminders_sent')
    .set({ mail_id: row.mailId })
    .where('license_id', '=', row.licenseId)
    .where('expires_at', '=', row.expiresAt)
    .where('offset_days', '=', row.offset)
    .execute();
}

/** The reminders sent for a license (newest term first), for its history and for tests. */
export async function listRemindersSent(db: Executor, licenseId: string): Promise<Array<{ expiresAt: string; offset: number; mailId: string | null; sentAt: string }>> {
  const rows = await db.selectFrom('reminders_sent').selectAll().where('license_id', '=', licenseId).orderBy('expires_at', 'desc').orderBy('offset_days', 'desc').execute();
  return rows.map((r) => ({ expiresAt: toIso(r.expires_at), offset: r.offset_days, mailId: r.mail_id, sentAt: toIso(r.sent_at) }));
}
