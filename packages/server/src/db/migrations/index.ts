import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../database.js';
import type { MigrationContext } from './context.js';
import * as m0001 from './0001_core.js';
import * as m0002 from './0002_machines.js';
import * as m0003 from './0003_usage.js';
import * as m0004 from './0004_countries.js';
import * as m0005 from './0005_activation_limits.js';
import * as m0006 from './0006_overdraft.js';
import * as m0007 from './0007_named_users.js';
import * as m0008 from './0008_jobs.js';
import * as m0009 from './0009_mail.js';
import * as m0010 from './0010_webhooks.js';
import * as m0011 from './0011_subscriptions.js';
import * as m0012 from './0012_orders.js';
import * as m0013 from './0013_reminders.js';
import * as m0014 from './0014_releases.js';
import * as m0015 from './0015_artifacts.js';
import * as m0016 from './0016_maintenance_custom.js';
import * as m0017 from './0017_release_retention.js';
import * as m0018 from './0018_release_announcements.js';
import * as m0020 from './0020_faq.js';
import * as m0021 from './0021_settings.js';
import * as m0022 from './0022_offline_seats.js';
import * as m0023 from './0023_access.js';
import * as m0024 from './0024_partners.js';
import * as m0025 from './0025_tickets.js';
import * as m0026 from './0026_contracts.js';
import * as m0027 from './0027_partner_report_indexes.js';
import * as m0028 from './0028_validation_reads.js';

export type { MigrationContext } from './context.js';


type MigrationModule = { up(db: Kysely<any>, ctx: MigrationContext): Promise<void> };

/** The one ordered migration set, applied by `keyhaven migrate` and at every start. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001_core': m0001,
  '0002_machines': m0002,
  '0003_usage': m0003,
  '0004_countries': m0004,
  '0005_activation_limits': m0005,
  '0006_overdraft': m0006,
  '0007_named_users': m0007,
  '0008_jobs': m0008,
  '0009_mail': m0009,
  '0010_webhooks': m0010,
  '0011_subscriptions': m0011,
  '0012_orders': m0012,
  '0013_reminders': m0013,
  '0014_releases': m0014,
  '0015_artifacts': m0015,
  '0016_maintenance_custom': m0016,
  '0017_release_retention': m0017,
  '0018_release_announcements': m0018,
  '0020_faq': m0020,
  '0021_settings': m0021,
  '0022_offline_seats': m0022,
  '0023_access': m0023,
  '0024_partners': m0024,
  '0025_tickets': m0025,
  '0026_contracts': m0026,
  '0027_partner_report_indexes': m0027,
  '0028_validation_reads': m0028,
};

export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const ctx: MigrationContext = {
      dialect: this.dialect,
      ts: this.dialect === 'postgres' ? 'timestamptz' : 'text',
      json: 'text',
    };
    return Object.fromEntries(
      Object.entries(MIGRATIONS).map(([name, module]) => [name, { up: (db: Kysely<any>) => module.up(db, ctx) }]),
    );
  }
}
