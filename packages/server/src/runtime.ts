import type { Config } from './config.js';
import { Keyring, loadMasterKey } from './crypto/keyring.js';
import { loadSigner } from './crypto/signing.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Deps } from './services.js';

/**
 * Everything a process needs before it can serve or run a command: the master key (created on first
 * start), the database (migrated), and the signing key (created on first start).
 */
export async function openRuntime(config: Config, clock: Clock = systemClock): Promise<Deps & { masterKeyCreated: boolean; migrations: string[] }> {
  const master = await loadMasterKey(config.masterKey);
  const database = openDatabase(config.database);
  try {
    const migrations = await migrateToLatest(database);
    const keyring = new Keyring(master.key);
    const signer = await loadSigner(database.db, keyring, clock);
    return { config, database, clock, keyring, signer, masterKeyCreated: master.created, migrations };
  } catch (error) {
    await database.close();
    throw error;
  }
}
