import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Offline license files hold seats (issue 12): a bound file borrows its machine's seat until the file
 * expires or is checked in (`machines.borrowed_until`), and the policy caps the file lifetime
 * (`policies.offline_max_days`, 30 for existing policies, the old default lifetime).
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema.alterTable('machines').addColumn('borrowed_until', ts).execute();
  await db.schema.alterTable('policies').addColumn('offline_max_days', 'integer', (c) => c.notNull().defaultTo(30)).execute();
}
