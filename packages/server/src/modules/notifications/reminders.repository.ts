import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';

/** How a reminder's (license, term) pair is keyed in the sets below: the term is its expiry. */
export function reminderKey(licenseId: string, expiresAt: string): string {
  return `${licenseId} ${expiresAt}`;
}

/**
 * The reminders of `offset` already sent (or claimed) for these licenses, as `reminderKey`s of license and
 * term: a license in a later term is not in it. One query on the primary key, for one page of a sweep.
 */
export async function remindersSentFor(db: Executor, licenseIds: string[], offset: number): Promise<Set<string>> {
  if (licenseIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('reminders_sent')
    .select(['license_id', 'expires_at'])
    .where('license_id', 'in', licenseIds)
    .where('offset_days', '=', offset)
    .execute();
  return new Set(rows.map((r) => reminderKey(r.license_id, toIso(r.expires_at))));
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
