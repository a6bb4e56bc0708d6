import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Machines (activations): one row per activated fingerprint of a license. */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('machines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('hostname', 'text')
    .addColumn('platform', 'text')
    .addColumn('ip', 'text')
    .addColumn('metadata', json, (c) => c.notNull())
    .addColumn('activated_at', ts, (c) => c.notNull())
    .addColumn('last_heartbeat_at', ts)
    .addColumn('lease_expires_at', ts)
    .addUniqueConstraint('machines_license_fingerprint_unique', ['license_id', 'fingerprint'])
    .execute();
  await db.schema.createIndex('machines_lease_idx').on('machines').column('lease_expires_at').execute();
}
