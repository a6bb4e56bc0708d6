import { Migrator } from 'kysely';
import type { DatabaseHandle } from './database.js';
import { StaticMigrationProvider } from './migrations/index.js';

/**
 * Applies pending migrations. Kysely takes a lock (an advisory lock on PostgreSQL), so several processes
 * starting together migrate once.
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const migrator = new Migrator({ db: handle.db, provider: new StaticMigrationProvider(handle.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
