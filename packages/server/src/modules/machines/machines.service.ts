import type { ExpressionBuilder } from 'kysely';
import type { Db, Dialect } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { csvChunks, datedCsvName, EXPORT_PAGE, keysetPages, type CsvExport } from '../../lib/csv.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import {
  countSeatsInUse,
  countSeatsByLicense,
  liveSeatsOfLicense,
  deleteMachineRow,
  findMachineRow,
  isBorrowed,
  listMachineRows,
  machineLabels,
  toMachine,
  viewMachine,
  type MachineView,
  type MachineFilter,
} from './machines.repository.js';
import { refuseBorrowed } from './seats.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';

export type { Machine } from './machines.repository.js';

/** How long a lapsed floating lease stays visible (answering HEARTBEAT_DEAD) before the cull removes it. */
export const LAPSED_LEASE_KEEP_MS = 24 * 3_600_000;

export interface MachinesDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  events: EventsService;
  licenses: LicensesService;
}

/**
 * Machines as staff and customer admins see them: the list, freeing one seat or every seat of a license,
 * the dashboard's seats-in-use figure, and the upkeep that culls lapsed floating leases. What clients do
 * with their seats is SeatsService; named users of a license are LicenseUsersService.
 */
export class MachinesService {
  constructor(private readonly deps: MachinesDeps) {}

  /**
   * Lapsed floating leases are culled every minute. Event lists name machines; a customer viewer gets
   * names of machines on its own organization's licenses only. Licenses show their live seats, counted
   * here (licenses does not know machines: machines depends on it).
   */
  wiring(): ModuleWiring {
    return {
      seatCounts: { count: countSeatsByLicense, liveSeats: liveSeatsOfLicense },
      jobs: [{ type: 'machines.cull', payload: SlotPayload, run: async () => void (await this.cull()), cron: '* * * * *' }],
      namers: {
        machine: async (ctx, ids) => {
          const rows = await machineLabels(this.deps.db, ctx.actor, ids);
          return new Map(rows.map((r) => [r.id, r.name ?? r.hostname ?? r.fingerprint]));
        },
      },
    };
  }

  /**
   * Deletes machines whose floating lease lapsed more than `keepMs` ago, in batches. Their seats were free
   * from the moment the lease lapsed (a lapsed lease is not counted); the rows are kept a while so an app
   * coming back is told HEARTBEAT_DEAD rather than NO_MACHINE. A live lease or a borrowed seat is never
   * touched: the condition is re-checked by the DELETE itself.
   */
  async cull(batchSize = 5000, keepMs = LAPSED_LEASE_KEEP_MS): Promise<number> {
    const now = this.deps.clock.now();
    const lapsedBefore = new Date(now.getTime() - keepMs).toISOString();
    // A borrowed seat (an offline file is out) is never culled, whatever its lease did.
    const culled = (eb: ExpressionBuilder<Database, 'machines'>) =>
      eb.and([eb('lease_expires_at', '<=', lapsedBefore), eb.or([eb('borrowed_until', 'is', null), eb('borrowed_until', '<=', now.toISOString())])]);
    let total = 0;
    for (;;) {
      const result = await this.deps.db
        .deleteFrom('machines')
        .where('id', 'in', (eb) => eb.selectFrom('machines').select('id').where(culled).limit(batchSize))
        .where(culled)
        .executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  async list(ctx: RequestContext, filter: MachineFilter): Promise<Page<MachineView>> {
    const now = this.deps.clock.now();
    return page((await listMachineRows(this.deps.db, ctx.actor, filter)).map((row) => viewMachine(toMachine(row), now)), filter.limit);
  }

  /**
   * The machines of a list filter (the list's scope and filters) as CSV, streamed in keyset pages of 1,000,
   * newest first: one line per machine with its license's name and product code (looked up once per page
   * through the licenses service) and its lease state at the start of the export. No metadata.
   */
  exportCsv(ctx: RequestContext, filter: Omit<MachineFilter, 'limit' | 'cursor'>, pageSize = EXPORT_PAGE): CsvExport {
    const { db, clock, licenses } = this.deps;
    const now = clock.now();
    async function* pages(): AsyncGenerator<Array<{ machine: MachineView; license: { name: string; productCode: string; customerId: string | null } | undefined }>> {
      for await (const rows of keysetPages((p) => listMachineRows(db, ctx.actor, { ...filter, ...p }), pageSize)) {
        const labels = await licenses.labelsWith(db, rows.map((r) => r.license_id));
        yield rows.map((row) => ({ machine: viewMachine(toMachine(row), now), license: labels.get(row.license_id) }));
      }
    }
    const chunks = csvChunks(MACHINE_CSV_HEADER, pages(), ({ machine: m, license }) => [
      [
        m.id, m.licenseId, license?.name, license?.productCode, license?.customerId, m.fingerprint, m.name, m.hostname, m.platform, m.ip,
        m.userId, m.leaseState, m.activatedAt, m.lastHeartbeatAt, m.leaseExpiresAt, m.borrowedUntil,
      ],
    ]);
    return { filename: datedCsvName('machines', now), chunks };
  }

  /**
   * Staff free every seat of a license at once (a customer moved to new hardware, say). Borrowed seats
   * stay: their offline files are out and keep working until they expire or are checked in.
   */
  async resetLicense(ctx: RequestContext, licenseId: string): Promise<{ deactivated: number; borrowed: number }> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    return this.deps.db.transaction().execute(async (trx) => {
      await this.deps.licenses.lock(trx, license.id);
      const now = this.deps.clock.now();
      const rows = await trx.selectFrom('machines').selectAll().where('license_id', '=', license.id).execute();
      const freed = rows.filter((r) => !isBorrowed(toMachine(r), now));
      const kept = rows.length - freed.length;
      if (freed.length > 0) await trx.deleteFrom('machines').where('id', 'in', freed.map((r) => r.id)).execute();
      await this.deps.events.record(trx, ctx, {
        action: 'license.machines_reset',
        targetType: 'license',
        targetId: license.id,
        customerId: license.customerId,
        before: { machines: freed.map((r) => ({ id: r.id, fingerprint: r.fingerprint, name: r.name })), borrowed: kept },
      });
      return { deactivated: freed.length, borrowed: kept };
    });
  }

  /** Seats held now on the licenses the actor may see (the dashboard's figure). */
  async seatsInUse(ctx: RequestContext, now: Date): Promise<number> {
    return countSeatsInUse(this.deps.db, ctx.actor, now);
  }

  /** Staff or a customer admin frees a seat. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const row = await findMachineRow(trx, ctx.actor, id);
      if (!row) throw notFound('Machine', id);
      refuseBorrowed(toMachine(row), this.deps.clock.now());
      await deleteMachineRow(trx, id);
      await this.deps.events.record(trx, ctx, {
        action: 'machine.deactivated',
        targetType: 'license',
        targetId: row.license_id,
        customerId: await this.deps.licenses.customerIdOf(trx, row.license_id),
        before: toMachine(row),
      });
    });
  }
}

/** The columns of `exportMachines`. */
const MACHINE_CSV_HEADER = [
  'machine_id', 'license_id', 'license_name', 'product_code', 'customer_id', 'fingerprint', 'name', 'hostname', 'platform', 'ip',
  'user_id', 'lease_state', 'activated_at', 'last_heartbeat_at', 'lease_expires_at', 'borrowed_until',
];
