import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Reminders and staff alerts, each sent at most once.
 *
 * `reminders_sent` has one row per license, term (its expiry) and offset in days before it; offset 0 is the
 * expired notice. The primary key makes "exactly once" hold across restarts, retries and several workers:
 * the row is inserted in the same transaction as the mail it stands for, and a second insert finds it.
 *
 * `staff_alerts` is the same for internal alerts: one row per license, kind and dedupe key (the UTC day
 * for event alerts such as a seat limit reached, the expiry for "nearing expiry"), with what it said.
 *
 * `licenses_expires_id_idx` lets the reminder sweep walk an expiry window in (expires_at, id) order.
 */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('reminders_sent')
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('offset_days', 'integer', (c) => c.notNull())
    .addColumn('mail_id', 'text')
    .addColumn('sent_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('reminders_sent_pk', ['license_id', 'expires_at', 'offset_days'])
    .execute();

  await db.schema
    .createTable('staff_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('customer_id', 'text')
    // seat-limit | credits-exhausted | overdraft-used | expiring
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('detail', json, (c) => c.notNull())
    .addColumn('mail_id', 'text')
    .addColumn('at', ts, (c) => c.notNull())
    .addUniqueConstraint('staff_alerts_once_uq', ['license_id', 'kind', 'dedupe_key'])
    .execute();
  await db.schema.createIndex('staff_alerts_at_idx').on('staff_alerts').columns(['at', 'id']).execute();

  await db.schema.createIndex('licenses_expires_id_idx').on('licenses').columns(['expires_at', 'id']).execute();
}
