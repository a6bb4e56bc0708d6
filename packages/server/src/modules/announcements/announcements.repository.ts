import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { ReleaseAnnouncementsTable } from './announcements.tables.js';

/** A release announced by mail (at most one per release). */
export interface Announcement {
  id: string;
  releaseId: string;
  template: string;
  /** Mails queued. */
  recipients: number;
  createdBy: string;
  createdAt: string;
}

function toAnnouncement(row: Selectable<ReleaseAnnouncementsTable>): Announcement {
  return {
    id: row.id,
    releaseId: row.release_id,
    template: row.template,
    recipients: row.recipient_count,
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
  };
}

export async function findAnnouncementOfRelease(db: Executor, releaseId: string): Promise<Announcement | undefined> {
  const row = await db.selectFrom('release_announcements').selectAll().where('release_id', '=', releaseId).executeTakeFirst();
  return row ? toAnnouncement(row) : undefined;
}

/** Fails with a unique violation when the release was announced already (`release_announcements_release_uq`). */
export async function insertAnnouncement(db: Executor, announcement: Announcement): Promise<void> {
  await db
    .insertInto('release_announcements')
    .values({
      id: announcement.id,
      release_id: announcement.releaseId,
      template: announcement.template,
      recipient_count: announcement.recipients,
      created_by: announcement.createdBy,
      created_at: announcement.createdAt,
    })
    .execute();
}

export async function setRecipientCount(db: Executor, id: string, count: number): Promise<void> {
  await db.updateTable('release_announcements').set({ recipient_count: count }).where('id', '=', id).execute();
}
