import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * E-mail: staff-edited templates (a missing row means "the built-in default"), the outbox (every mail
 * with its rendered content and delivery status; `dedupe_key` unique so "one mail ever per key" holds
 * across retries and workers), per-address preferences for non-essential categories, and one-time
 * password set/reset tokens (stored as digests only).
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('mail_templates')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('to_addresses', 'text', (c) => c.notNull())
    .addColumn('suppressed_to', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('customer_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('next_attempt_at', ts, (c) => c.notNull())
    .addColumn('sending_until', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('sent_at', ts)
    .execute();
  // Delivery claims due mail by (status, next_attempt_at); lists filter by status newest first.
  await db.schema.createIndex('mail_outbox_due_idx').on('mail_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('mail_outbox_status_idx').on('mail_outbox').columns(['status', 'id']).execute();
  await db.schema.createIndex('mail_outbox_template_idx').on('mail_outbox').columns(['template', 'id']).execute();
  await db.schema.createIndex('mail_outbox_customer_idx').on('mail_outbox').columns(['customer_id', 'id']).execute();

  // The rendered bodies, AES-256-GCM sealed (they carry license keys and one-time links), in their own
  // table: written once, so the status updates of delivery rewrite small outbox rows only.
  await db.schema
    .createTable('mail_bodies')
    .addColumn('mail_id', 'text', (c) => c.primaryKey().references('mail_outbox.id').onDelete('cascade'))
    .addColumn('text_ciphertext', 'text', (c) => c.notNull())
    .addColumn('html_ciphertext', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mail_preferences')
    .addColumn('email', 'text', (c) => c.primaryKey())
    .addColumn('reminders', 'integer', (c) => c.notNull())
    .addColumn('announcements', 'integer', (c) => c.notNull())
    .addColumn('alerts', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('password_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('used_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('password_tokens_user_idx').on('password_tokens').columns(['user_id', 'purpose', 'created_at']).execute();
}
