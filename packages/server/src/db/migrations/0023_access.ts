import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Access and secrets (issue 12).
 * - `mail_bodies.secrets_ciphertext`: the one-time secrets of a mail (password-link tokens), sealed apart
 *   from its bodies. The stored bodies hold placeholders only; delivery puts the secrets in, so no staff
 *   view of the outbox can show them, whatever an edited template does with the placeholder.
 * - `password_attempts`: wrong current passwords per account (`POST /v1/auth/password`) and the lock they
 *   lead to, kept in the database so every API process counts the same attempts.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema.alterTable('mail_bodies').addColumn('secrets_ciphertext', 'text').execute();
  await db.schema
    .createTable('password_attempts')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', ts)
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
}
