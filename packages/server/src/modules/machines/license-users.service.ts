import type { Db } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import { listLicenseUsers, toMachine, type LicenseUser } from './machines.repository.js';
import { refuseBorrowed } from './seats.js';

export interface LicenseUsersDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  licenses: LicensesService;
}

/**
 * Named users of per-user licenses: staff or a customer admin name the users a license's seats belong
 * to; an activation then names one of them (see SeatsService), and maxMachines counts per user.
 */
export class LicenseUsersService {
  constructor(private readonly deps: LicenseUsersDeps) {}

  /** Named users of a per-user license. */
  async list(ctx: RequestContext, licenseId: string): Promise<LicenseUser[]> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    return listLicenseUsers(this.deps.db, license.id);
  }

  /** Names a user on the license (a seat of a per-user license), up to the license's maxUsers. */
  async add(ctx: RequestContext, licenseId: string, input: { identifier: string; name?: string | null }): Promise<LicenseUser> {
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
  async remove(ctx: RequestContext, licenseId: string, userId: string): Promise<void> {
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
}
