import type { Db, Executor } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { User, UsersService } from '../users/users.service.js';
import type { ModuleWiring } from '../../wiring.js';
import {
  deleteGroupRow,
  deleteMembership,
  findGroup,
  findGroupOf,
  findMembership,
  groupNames,
  insertGroup,
  listGroups,
  membersOf,
  updateGroupRow,
  upsertMembership,
  type GroupRecord,
  type GroupVisibility,
  type MembershipRecord,
} from './customer-groups.repository.js';

export { GROUP_VISIBILITIES, type GroupVisibility, type GroupRecord } from './customer-groups.repository.js';

export interface GroupMember {
  userId: string;
  email: string;
  name: string | null;
  admin: boolean;
  addedAt: string;
}

/** A group of a customer organization's users, with its members (as far as the viewer may see them). */
export interface CustomerGroup extends GroupRecord {
  members: GroupMember[];
}

/**
 * What goes with a deleted group, inside its transaction: the licenses module returns the group's tickets
 * to the organization (customer groups cannot know licenses: licenses knows them). Installed through the
 * registry (`customerGroupDeleteSteps`).
 */
export type GroupDeleteStep = (executor: Executor, ctx: RequestContext, group: GroupRecord) => Promise<void>;

export interface CustomerGroupsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  customers: CustomersService;
  users: UsersService;
}

/**
 * Groups of people inside a customer organization (departments) and who administers them. Customer admins
 * of the organization and staff with `customer-groups:write` manage them; a member sees the groups it is in.
 * Tickets (a license's allocation to the organization, a group or a person) live in the licenses module,
 * which reads groups through `groupIdsOfMember` (customer-groups.access.ts) and the checks below.
 */
export class CustomerGroupsService {
  private readonly deleteSteps: GroupDeleteStep[] = [];

  constructor(private readonly deps: CustomerGroupsDeps) {}

  onDelete(step: GroupDeleteStep): void {
    this.deleteSteps.push(step);
  }

  /** How event lists name groups. */
  wiring(): ModuleWiring {
    return {
      namers: {
        customer_group: async (ctx, ids) => groupNames(this.deps.db, ctx.actor, ids),
      },
    };
  }

  async create(ctx: RequestContext, customerId: string, input: { name: string; visibility?: GroupVisibility }): Promise<CustomerGroup> {
    // The organization within the actor's scope: another organization's is a 404.
    await this.deps.customers.get(ctx, customerId);
    return this.deps.db.transaction().execute(async (trx) => {
      const now = this.deps.clock.now().toISOString();
      const group: GroupRecord = { id: newId('cgrp'), customerId, name: input.name.trim(), visibility: input.visibility ?? 'members', createdAt: now, updatedAt: now };
      await insertGroup(trx, group);
      await this.deps.events.record(trx, ctx, { action: 'customer_group.created', targetType: 'customer_group', targetId: group.id, customerId, after: group });
      return { ...group, members: [] };
    });
  }

  async list(ctx: RequestContext, customerId: string, filter: { limit: number; cursor?: string | undefined }): Promise<Page<CustomerGroup>> {
    await this.deps.customers.get(ctx, customerId);
    const found = page(await listGroups(this.deps.db, ctx.actor, customerId, filter), filter.limit);
    return { ...found, data: await this.withMembers(this.deps.db, ctx, found.data) };
  }

  async get(ctx: RequestContext, id: string): Promise<CustomerGroup> {
    const group = await findGroup(this.deps.db, ctx.actor, id);
    if (!group) throw notFound('Group', id);
    return (await this.withMembers(this.deps.db, ctx, [group]))[0]!;
  }

  async update(ctx: RequestContext, id: string, input: { name?: string; visibility?: GroupVisibility }): Promise<CustomerGroup> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findGroup(trx, ctx.actor, id);
      if (!before) throw notFound('Group', id);
      const after: GroupRecord = {
        ...before,
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        ...(input.visibility !== undefined ? { visibility: input.visibility } : {}),
        updatedAt: this.deps.clock.now().toISOString(),
      };
      await updateGroupRow(trx, after);
      await this.deps.events.record(trx, ctx, { action: 'customer_group.updated', targetType: 'customer_group', targetId: id, customerId: before.customerId, before, after });
      return (await this.withMembers(trx, ctx, [after]))[0]!;
    });
  }

  /** Deletes the group and its memberships; its tickets go back to the organization (delete steps), all in one transaction. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const group = await findGroup(trx, ctx.actor, id);
      if (!group) throw notFound('Group', id);
      for (const step of this.deleteSteps) await step(trx, ctx, group);
      await deleteGroupRow(trx, id);
      await this.deps.events.record(trx, ctx, { action: 'customer_group.deleted', targetType: 'customer_group', targetId: id, customerId: group.customerId, before: group });
    });
  }

  /**
   * Puts a user of the group's organization in the group, or changes whether they are its admin. A user of
   * another organization (or staff) is a 422 NOT_IN_ORGANIZATION, the same answer as an unknown id.
   */
  async addMember(ctx: RequestContext, id: string, input: { userId: string; admin: boolean }): Promise<CustomerGroup> {
    return this.deps.db.transaction().execute(async (trx) => {
      const group = await findGroup(trx, ctx.actor, id);
      if (!group) throw notFound('Group', id);
      await this.assertPersonOf(trx, group.customerId, input.userId);
      const existing = await findMembership(trx, id, input.userId);
      const membership: MembershipRecord = { groupId: id, userId: input.userId, admin: input.admin, createdAt: existing?.createdAt ?? this.deps.clock.now().toISOString() };
      if (!existing || existing.admin !== input.admin) {
        await upsertMembership(trx, membership, existing !== undefined);
        await this.deps.events.record(trx, ctx, {
          action: existing ? 'customer_group.member_updated' : 'customer_group.member_added',
          targetType: 'customer_group',
          targetId: id,
          customerId: group.customerId,
          before: existing ?? null,
          after: membership,
        });
      }
      return (await this.withMembers(trx, ctx, [group]))[0]!;
    });
  }

  /**
   * Takes a user out of the group. Tickets allocated to that person stay theirs until an admin of the group
   * (or of the organization) allocates them again: they are still the group's, so its admins see them.
   */
  async removeMember(ctx: RequestContext, id: string, userId: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const group = await findGroup(trx, ctx.actor, id);
      if (!group) throw notFound('Group', id);
      const existing = await findMembership(trx, id, userId);
      if (!existing) throw notFound('Group member', userId);
      await deleteMembership(trx, id, userId);
      await this.deps.events.record(trx, ctx, { action: 'customer_group.member_removed', targetType: 'customer_group', targetId: id, customerId: group.customerId, before: existing });
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // For the licenses module's ticket allocation (no actor scope: the caller has checked the license).

  /** The group with this id in this organization (undefined: none, or another organization's). */
  async groupOf(executor: Executor, customerId: string, groupId: string): Promise<GroupRecord | undefined> {
    return findGroupOf(executor, customerId, groupId);
  }

  /** The person's membership of the group (undefined: not in it). */
  async membership(executor: Executor, groupId: string, userId: string): Promise<{ admin: boolean } | undefined> {
    const found = await findMembership(executor, groupId, userId);
    return found && { admin: found.admin };
  }

  /** Whether `userId` is an enabled customer user of the organization; else a 422 NOT_IN_ORGANIZATION naming `field`. */
  async assertPersonOf(executor: Executor, customerId: string, userId: string, field = 'userId'): Promise<User> {
    const [user] = await this.deps.users.byIdsWith(executor, [userId]);
    if (!user || user.customerId !== customerId || user.disabled) {
      throw new AppError('NOT_IN_ORGANIZATION', `No active user ${userId} in this organization`, { fields: { [field]: 'must be an active user of the organization' } });
    }
    return user;
  }

  /**
   * Groups with their members. A plain member of a group sees only its own membership there (it has no
   * right to list users); the group's admins, the organization's admins and staff see every member.
   */
  private async withMembers(executor: Executor, ctx: RequestContext, groups: GroupRecord[]): Promise<CustomerGroup[]> {
    const memberships = await membersOf(executor, groups.map((g) => g.id));
    const users = new Map((await this.deps.users.byIdsWith(executor, memberships.map((m) => m.userId))).map((u) => [u.id, u]));
    const person = ctx.actor.role === 'customer-member' && ctx.actor.type === 'user' ? ctx.actor.id : undefined;
    return groups.map((group) => {
      const all = memberships.filter((m) => m.groupId === group.id);
      const seesAll = ctx.actor.role !== 'customer-member' || all.some((m) => m.userId === person && m.admin);
      const shown = seesAll ? all : all.filter((m) => m.userId === person);
      return {
        ...group,
        members: shown.map((m) => ({ userId: m.userId, email: users.get(m.userId)?.email ?? '', name: users.get(m.userId)?.name ?? null, admin: m.admin, addedAt: m.createdAt })),
      };
    });
  }
}
