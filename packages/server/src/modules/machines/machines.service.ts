import type { ExpressionBuilder } from 'kysely';
import type { Db, Dialect, Executor } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { SYSTEM_ACTOR, type Actor } from '../../http/access.js';
import { AppError, notFound, type ErrorCode } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ClientLicense, LicensesService } from '../licenses/licenses.service.js';
import { hardSeatLimit, type ActivationLimits, type PoliciesService } from '../policies/policies.service.js';
import {
  countSeatsInUse,
  countSeatsByLicense,
  countAliveMachines,
  deleteMachineRow,
  findMachineByFingerprint,
  findMachineRow,
  listLicenseUsers,
  holdsSeat,
  insertMachine,
  isAlive,
  isBorrowed,
  listMachineRows,
  machineLabels,
  replaceMachine,
  toMachine,
  viewMachine,
  type MachineView,
  type LicenseUser,
  type Machine,
  type MachineFilter,
} from './machines.repository.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';

export type { Machine } from './machines.repository.js';

/** Seconds a floating lease outlives its heartbeat interval, so one late heartbeat does not free the seat. */
export const LEASE_TOLERANCE_SECONDS = 60;

/** How long a lapsed floating lease stays visible (answering HEARTBEAT_DEAD) before the cull removes it. */
export const LAPSED_LEASE_KEEP_MS = 24 * 3_600_000;

export interface ActivateInput {
  key: string;
  fingerprint: string;
  /** On per-user licenses: the named user (e-mail or user name) the machine belongs to. */
  user?: string;
  name?: string;
  hostname?: string;
  platform?: string;
  metadata?: Record<string, unknown>;
}

/**
 * A rule another module adds to activations (e.g. trials: one trial per machine). It runs inside the
 * activation's transaction, before a new seat is taken, and refuses by throwing an AppError.
 */
export type ActivationCheck = (executor: Executor, attempt: { license: ClientLicense; fingerprint: string }) => Promise<void>;

export interface ClientMeta {
  ip: string;
  requestId?: string;
}

/** The license answers a client operation on it only while it is usable. */
const UNUSABLE: Record<string, ErrorCode> = { revoked: 'REVOKED', suspended: 'SUSPENDED', pending: 'NOT_STARTED', expired: 'EXPIRED' };

function usable(resolved: { license: ClientLicense; row: { customer_id: string | null; policy_id: string } }) {
  const code = UNUSABLE[resolved.license.status];
  if (code) throw new AppError(code, `The license is ${resolved.license.status}`, { status: resolved.license.status });
  return { license: resolved.license, customerId: resolved.row.customer_id, policyId: resolved.row.policy_id };
}

/**
 * A machine whose offline license file is out keeps its seat: the file cannot be called back, so freeing
 * the seat would let another machine take it while the file still works (seats × 2).
 */
function refuseBorrowed(machine: Machine, now: Date): void {
  if (!isBorrowed(machine, now)) return;
  throw new AppError(
    'SEAT_BORROWED',
    `An offline license file for this machine is out until ${machine.borrowedUntil}: check it in from the machine (POST /v1/licenses/checkin) or wait until it expires`,
    { fingerprint: machine.fingerprint, borrowedUntil: machine.borrowedUntil },
  );
}

export interface MachinesDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  events: EventsService;
  licenses: LicensesService;
  policies: PoliciesService;
}

/**
 * Activations. Seat limits hold under concurrency: an activation counts the live seats and inserts its
 * machine inside one transaction that holds the license row (FOR UPDATE on PostgreSQL, so several
 * processes agree; on SQLite the single writer connection serializes transactions).
 */
export class MachinesService {
  private readonly activationChecks: ActivationCheck[] = [];

  constructor(private readonly deps: MachinesDeps) {}

  /**
   * Lapsed floating leases are culled every minute. Event lists name machines; a customer viewer gets
   * names of machines on its own organization's licenses only. Licenses show their live seats, counted
   * here (licenses does not know machines: machines depends on it).
   */
  wiring(): ModuleWiring {
    return {
      seatCounts: (executor, licenseIds, now) => countSeatsByLicense(executor, licenseIds, now),
      jobs: [{ type: 'machines.cull', payload: SlotPayload, run: async () => void (await this.cull()), cron: '* * * * *' }],
      namers: {
        machine: async (ctx, ids) => {
          const rows = await machineLabels(this.deps.db, ctx.actor, ids);
          return new Map(rows.map((r) => [r.id, r.name ?? r.hostname ?? r.fingerprint]));
        },
      },
    };
  }

  /** Adds a rule every new activation must pass (see ActivationCheck). */
  addActivationCheck(check: ActivationCheck): void {
    this.activationChecks.push(check);
  }

  /**
   * The policy's anti-abuse window: how many activations or client deactivations the license made since
   * the window began, against the allowed number (undefined: no limit).
   */
  private async windowUse(
    db: Executor,
    limits: ActivationLimits | null,
    licenseId: string,
    kind: 'activations' | 'deactivations',
    now: Date,
  ): Promise<{ used: number; allowed: number; periodDays: number } | undefined> {
    const allowed = limits?.[kind];
    if (!limits || allowed === null || allowed === undefined) return undefined;
    const since = new Date(now.getTime() - limits.periodDays * 86_400_000).toISOString();
    const used = await this.deps.events.count(db, {
      targetId: licenseId,
      action: kind === 'activations' ? 'machine.activated' : 'machine.deactivated',
      since,
      // Seats freed by staff or a customer admin do not count against the application.
      actorType: kind === 'deactivations' ? 'license' : undefined,
    });
    return { used, allowed, periodDays: limits.periodDays };
  }

  private leaseFrom(license: ClientLicense, now: Date): string | null {
    if (!license.floating) return null;
    return new Date(now.getTime() + ((license.heartbeatSeconds ?? 600) + LEASE_TOLERANCE_SECONDS) * 1000).toISOString();
  }

  /** A usable license for a client operation, or the error the app should act on. */
  private async usableLicense(key: string): Promise<{ license: ClientLicense; customerId: string | null; policyId: string }> {
    const resolved = await this.deps.licenses.resolveKey(key);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has this key');
    return usable(resolved);
  }

  /**
   * Activation without a key: a customer signed in (or with a customer API token) activates this machine
   * on one of its organization's licenses.
   */
  async activateSignedIn(ctx: RequestContext, licenseId: string, input: Omit<ActivateInput, 'key'>) {
    const resolved = usable(await this.deps.licenses.resolveId(ctx, licenseId));
    return this.activateResolved(resolved, input, { ip: ctx.ip ?? 'unknown', ...(ctx.requestId ? { requestId: ctx.requestId } : {}) }, ctx);
  }

  private clientCtx(license: ClientLicense, meta: ClientMeta, customerId: string | null): RequestContext {
    const actor: Actor = {
      type: 'license',
      id: license.id,
      role: 'customer-member',
      scope: customerId ? { customerId } : {},
      label: `license ${license.id}`,
    };
    return { actor, requestId: meta.requestId, ip: meta.ip };
  }

  async activate(input: ActivateInput, meta: ClientMeta) {
    return this.activateResolved(await this.usableLicense(input.key), input, meta);
  }

  private async activateResolved(
    resolved: { license: ClientLicense; customerId: string | null; policyId: string },
    input: Omit<ActivateInput, 'key'>,
    meta: ClientMeta,
    actorCtx?: RequestContext,
  ): Promise<{ machine: MachineView; license: ClientLicense; created: boolean; overdraft: boolean }> {
    const { license, customerId, policyId } = resolved;
    const now = this.deps.clock.now();
    const ctx = actorCtx ? { ...actorCtx, actor: { ...actorCtx.actor, scope: customerId ? { customerId } : {} } } : this.clientCtx(license, meta, customerId);
    // Read before the transaction: on SQLite a query outside an open transaction would wait for it.
    const policy = await this.deps.policies.get({ actor: SYSTEM_ACTOR }, policyId);
    const limits = policy.activationLimits;
    const hardLimit = hardSeatLimit(license.maxMachines, policy.overdraft);
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.licenses.lock(trx, license.id);
      const existing = await findMachineByFingerprint(trx, license.id, input.fingerprint);
      const details = {
        name: input.name ?? existing?.name ?? null,
        hostname: input.hostname ?? existing?.hostname ?? null,
        platform: input.platform ?? existing?.platform ?? null,
        metadata: input.metadata ?? existing?.metadata ?? {},
        ip: meta.ip,
        lastHeartbeatAt: now.toISOString(),
        leaseExpiresAt: this.leaseFrom(license, now),
      };
      // Per-user licenses: the machine belongs to a named user, and the seat limit counts per user.
      const users = await listLicenseUsers(trx, license.id);
      let userId: string | undefined;
      if (users.length > 0 || license.maxUsers !== null) {
        const identifier = input.user?.trim().toLowerCase();
        const user = identifier ? users.find((u) => u.identifier === identifier) : undefined;
        if (!user) return { unassigned: identifier ?? null };
        userId = user.id;
      }
      if (existing && isAlive(existing, now)) {
        const machine: Machine = { ...existing, ...details, userId: userId ?? existing.userId };
        await replaceMachine(trx, machine);
        return { machine, created: false, alive: await countAliveMachines(trx, license.id, now) };
      }
      for (const check of this.activationChecks) await check(trx, { license, fingerprint: input.fingerprint });
      const alive = await countAliveMachines(trx, license.id, now, userId);
      if (hardLimit !== null && alive >= hardLimit) return { refused: alive };
      const window = await this.windowUse(trx, limits, license.id, 'activations', now);
      if (window && window.used >= window.allowed) return { limited: window };
      const machine: Machine = existing
        ? { ...existing, ...details, activatedAt: now.toISOString(), userId: userId ?? null }
        : { id: newId('mach'), licenseId: license.id, fingerprint: input.fingerprint, activatedAt: now.toISOString(), ...details, userId: userId ?? null, borrowedUntil: null };
      if (existing) await replaceMachine(trx, machine);
      else await insertMachine(trx, machine);
      await this.deps.events.record(trx, ctx, { action: 'machine.activated', targetType: 'license', targetId: license.id, customerId, after: machine });
      // An activation-aligned subscription's term starts at the first activation (no expiry until then).
      const termStarted = license.expiresAt === null ? await this.deps.licenses.startTermOnActivation(trx, ctx, license.id) : undefined;
      const overdraft = license.maxMachines !== null && alive + 1 > license.maxMachines;
      if (overdraft) {
        await this.deps.events.record(trx, ctx, {
          action: 'machine.overdraft_used',
          targetType: 'license',
          targetId: license.id,
          customerId,
          after: { fingerprint: input.fingerprint, activeMachines: alive + 1, maxMachines: license.maxMachines, hardLimit },
        });
      }
      return { machine, created: true, alive: await countAliveMachines(trx, license.id, now), overdraft, termStarted };
    });
    if ('unassigned' in outcome) {
      throw new AppError(
        'USER_NOT_ASSIGNED',
        outcome.unassigned === null
          ? 'This license is licensed per user: send the user the machine belongs to'
          : `${outcome.unassigned} is not a named user of this license`,
        { fields: { user: outcome.unassigned === null ? 'is required' : 'is not a named user of the license' } },
      );
    }
    if ('limited' in outcome && outcome.limited) {
      const { used, allowed, periodDays } = outcome.limited;
      await this.deps.events.record(this.deps.db, ctx, {
        action: 'machine.activation_limit_reached',
        targetType: 'license',
        targetId: license.id,
        customerId,
        after: { fingerprint: input.fingerprint, activations: used, allowed, periodDays },
      });
      throw new AppError('ACTIVATION_LIMIT_REACHED', `This license may activate ${allowed} machines every ${periodDays} days; try again later`, {
        activations: used,
        allowed,
        periodDays,
      });
    }
    if ('refused' in outcome) {
      await this.deps.events.record(this.deps.db, ctx, {
        action: 'machine.activation_refused',
        targetType: 'license',
        targetId: license.id,
        customerId,
        after: { fingerprint: input.fingerprint, activeMachines: outcome.refused, maxMachines: license.maxMachines },
      });
      throw new AppError('TOO_MANY_MACHINES', `All ${hardLimit} seats of this license are in use`, {
        maxMachines: license.maxMachines,
        hardLimit,
        activeMachines: outcome.refused,
      });
    }
    return {
      machine: viewMachine(outcome.machine, now),
      license: { ...license, activeMachines: outcome.alive!, ...('termStarted' in outcome && outcome.termStarted ? outcome.termStarted : {}) },
      created: outcome.created,
      overdraft: 'overdraft' in outcome && outcome.overdraft === true,
    };
  }

  async deactivate(key: string, fingerprint: string, meta: ClientMeta): Promise<void> {
    const resolved = await this.deps.licenses.resolveKey(key);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has this key');
    const { license, row } = resolved;
    const ctx = this.clientCtx(license, meta, row.customer_id);
    const limits = (await this.deps.policies.get({ actor: SYSTEM_ACTOR }, row.policy_id)).activationLimits;
    const now = this.deps.clock.now();
    const limited = await this.deps.db.transaction().execute(async (trx) => {
      const machine = await findMachineByFingerprint(trx, license.id, fingerprint);
      if (!machine) throw new AppError('NOT_FOUND', 'This fingerprint is not activated on the license');
      refuseBorrowed(machine, now);
      const window = await this.windowUse(trx, limits, license.id, 'deactivations', now);
      if (window && window.used >= window.allowed) return window;
      await deleteMachineRow(trx, machine.id);
      await this.deps.events.record(trx, ctx, {
        action: 'machine.deactivated',
        targetType: 'license',
        targetId: license.id,
        customerId: row.customer_id,
        before: machine,
      });
      return undefined;
    });
    if (limited) {
      await this.deps.events.record(this.deps.db, ctx, {
        action: 'machine.deactivation_limit_reached',
        targetType: 'license',
        targetId: license.id,
        customerId: row.customer_id,
        after: { fingerprint, deactivations: limited.used, allowed: limited.allowed, periodDays: limited.periodDays },
      });
      throw new AppError(
        'DEACTIVATION_LIMIT_REACHED',
        `This license may deactivate ${limited.allowed} machines every ${limited.periodDays} days; ask the vendor or your administrator to free the seat`,
        { deactivations: limited.used, allowed: limited.allowed, periodDays: limited.periodDays },
      );
    }
  }

  /**
   * Lends the machine's seat to an offline license file: the seat stays taken until `until(now)` (the
   * file's expiry), whatever the lease does, until the file is checked in. The machine must hold its seat
   * now; the check and the write happen in one transaction holding the license row, after reading the
   * clock, so a lease lapsing meanwhile cannot be revived after an activation took its seat.
   */
  async borrowSeat(licenseId: string, fingerprint: string, until: (now: Date) => Date): Promise<{ machine: Machine; now: Date; expiresAt: Date }> {
    return this.deps.db.transaction().execute(async (trx) => {
      await this.deps.licenses.lock(trx, licenseId);
      const now = this.deps.clock.now();
      const machine = await findMachineByFingerprint(trx, licenseId, fingerprint);
      if (!machine) throw new AppError('FINGERPRINT_NOT_ACTIVATED', 'Activate this machine first (online, or with an offline activation request)');
      if (!isAlive(machine, now)) throw new AppError('HEARTBEAT_DEAD', 'The machine lease lapsed; activate again');
      const expiresAt = until(now);
      // Several files for one machine: the seat is held until the last of them expires.
      const borrowedUntil = isBorrowed(machine, now) && Date.parse(machine.borrowedUntil!) > expiresAt.getTime() ? machine.borrowedUntil! : expiresAt.toISOString();
      const result = await trx
        .updateTable('machines')
        .set({ borrowed_until: borrowedUntil })
        .where('id', '=', machine.id)
        .where(holdsSeat(now))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new AppError('HEARTBEAT_DEAD', 'The machine lease lapsed; activate again');
      return { machine: { ...machine, borrowedUntil }, now, expiresAt };
    });
  }

  /**
   * An app returns its offline license files early (checkin): the seat is no longer borrowed. A node-locked
   * machine stays activated; a floating one keeps its seat only while its lease lives. Returning files
   * that are not out is a no-op, so a retry is harmless.
   */
  async returnSeat(key: string, fingerprint: string, meta: ClientMeta): Promise<MachineView> {
    const resolved = await this.deps.licenses.resolveKey(key);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has this key');
    const { license, row } = resolved;
    const ctx = this.clientCtx(license, meta, row.customer_id);
    return this.deps.db.transaction().execute(async (trx) => {
      await this.deps.licenses.lock(trx, license.id);
      const now = this.deps.clock.now();
      const machine = await findMachineByFingerprint(trx, license.id, fingerprint);
      if (!machine) throw new AppError('NOT_FOUND', 'This fingerprint is not activated on the license');
      if (machine.borrowedUntil === null) return viewMachine(machine, now);
      await trx.updateTable('machines').set({ borrowed_until: null }).where('id', '=', machine.id).execute();
      if (isBorrowed(machine, now)) {
        await this.deps.events.record(trx, ctx, {
          action: 'license.checked_in',
          targetType: 'license',
          targetId: license.id,
          customerId: row.customer_id,
          after: { fingerprint, borrowedUntil: machine.borrowedUntil },
        });
      }
      return viewMachine({ ...machine, borrowedUntil: null }, now);
    });
  }

  /** Renews a floating lease (and records liveness for node-locked machines). */
  async heartbeat(key: string, fingerprint: string, meta: ClientMeta): Promise<MachineView> {
    const { license } = await this.usableLicense(key);
    const now = this.deps.clock.now();
    const machine = await findMachineByFingerprint(this.deps.db, license.id, fingerprint);
    if (!machine) throw new AppError('NOT_FOUND', 'This fingerprint is not activated on the license');
    if (!isAlive(machine, now)) {
      throw new AppError('HEARTBEAT_DEAD', 'The lease lapsed and the seat was freed; activate again', { leaseExpiredAt: machine.leaseExpiresAt });
    }
    const next: Machine = { ...machine, ip: meta.ip, lastHeartbeatAt: now.toISOString(), leaseExpiresAt: this.leaseFrom(license, now) };
    // A conditional write: if the lease lapsed between the read and now, the seat is not silently revived.
    const result = await this.deps.db
      .updateTable('machines')
      .set({ ip: next.ip, last_heartbeat_at: next.lastHeartbeatAt, lease_expires_at: next.leaseExpiresAt })
      .where('id', '=', machine.id)
      .where(holdsSeat(now))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new AppError('HEARTBEAT_DEAD', 'The lease lapsed and the seat was freed; activate again');
    return viewMachine(next, now);
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

  /** The machine facts validation needs for one fingerprint. */
  async facts(licenseId: string, fingerprint: string): Promise<{ machine: { alive: boolean } | null; aliveMachines: number }> {
    const now = this.deps.clock.now();
    const machine = await findMachineByFingerprint(this.deps.db, licenseId, fingerprint);
    const aliveMachines = await countAliveMachines(this.deps.db, licenseId, now);
    return { machine: machine ? { alive: isAlive(machine, now) } : null, aliveMachines };
  }

  async list(ctx: RequestContext, filter: MachineFilter): Promise<Page<MachineView>> {
    const now = this.deps.clock.now();
    return page((await listMachineRows(this.deps.db, ctx.actor, filter)).map((row) => viewMachine(toMachine(row), now)), filter.limit);
  }

  /** Named users of a per-user license. */
  async listUsers(ctx: RequestContext, licenseId: string): Promise<LicenseUser[]> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    return listLicenseUsers(this.deps.db, license.id);
  }

  /** Names a user on the license (a seat of a per-user license), up to the license's maxUsers. */
  async addUser(ctx: RequestContext, licenseId: string, input: { identifier: string; name?: string | null }): Promise<LicenseUser> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    const user: LicenseUser = {
      id: newId('lusr'),
      licenseId: license.id,
      identifier: input.identifier.trim().toLowerCase(),
      name: input.name ?? null,
      createdAt: this.deps.clock.now().toISOString(),
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.licenses.lock(trx, license.id);
      const users = await listLicenseUsers(trx, license.id);
      if (users.some((u) => u.identifier === user.identifier)) throw new AppError('CONFLICT', `${user.identifier} is already a user of this license`);
      if (license.maxUsers !== null && users.length >= license.maxUsers) {
        throw new AppError('TOO_MANY_USERS', `The license allows ${license.maxUsers} named users`, { maxUsers: license.maxUsers });
      }
      await trx
        .insertInto('license_users')
        .values({ id: user.id, license_id: user.licenseId, identifier: user.identifier, name: user.name, created_at: user.createdAt })
        .execute();
      await this.deps.events.record(trx, ctx, { action: 'license.user_added', targetType: 'license', targetId: license.id, customerId: license.customerId, after: user });
    });
    return user;
  }

  /** Removes a named user and deactivates its machines, freeing the seat. */
  async removeUser(ctx: RequestContext, licenseId: string, userId: string): Promise<void> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    await this.deps.db.transaction().execute(async (trx) => {
      const user = (await listLicenseUsers(trx, license.id)).find((u) => u.id === userId);
      if (!user) throw notFound('License user', userId);
      const now = this.deps.clock.now();
      const machines = await trx.selectFrom('machines').selectAll().where('license_user_id', '=', user.id).execute();
      for (const machine of machines.map(toMachine)) refuseBorrowed(machine, now);
      const freed = await trx.deleteFrom('machines').where('license_user_id', '=', user.id).executeTakeFirst();
      await trx.deleteFrom('license_users').where('id', '=', user.id).execute();
      await this.deps.events.record(trx, ctx, {
        action: 'license.user_removed',
        targetType: 'license',
        targetId: license.id,
        customerId: license.customerId,
        before: { ...user, machinesDeactivated: Number(freed.numDeletedRows) },
      });
    });
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
