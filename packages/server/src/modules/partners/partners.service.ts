import type { Db, Executor } from '../../db/database.js';
import { PARTNER_RIGHTS, type PartnerRight, type Scope } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ProductGroupsService } from '../product-groups/product-groups.service.js';
import type { ModuleWiring } from '../../wiring.js';
import {
  findPartner,
  grantsOf,
  groupHasGrants,
  insertPartner,
  listPartnerRows,
  partnerNames,
  replaceGrants,
  updatePartnerRow,
  type Partner,
  type PartnerGrant,
} from './partners.repository.js';

export type { Partner, PartnerGrant } from './partners.repository.js';

export interface CreatePartnerInput {
  name: string;
  email?: string | null;
  grants: PartnerGrant[];
}
export type UpdatePartnerInput = Partial<CreatePartnerInput>;

/** What a partner actor's `Scope` holds besides its id: the products of its groups and its rights on each. */
export type PartnerScope = Required<Pick<Scope, 'partnerId' | 'productIds' | 'partnerRights'>>;

export interface PartnersDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  productGroups: ProductGroupsService;
}

/** Partners (resellers, distributors) and their rights per product group. Staff manage them. */
export class PartnersService {
  constructor(private readonly deps: PartnersDeps) {}

  /** A group a grant names cannot be deleted; event lists name partners. */
  wiring(): ModuleWiring {
    return {
      productGroupUses: [async (executor, groupId) => ((await groupHasGrants(executor, groupId)) ? 'partner grants' : undefined)],
      namers: {
        partner: async (ctx, ids) => {
          const own = ctx.actor.scope.partnerId;
          const visible = ctx.actor.scope.customerId !== undefined ? [] : own !== undefined ? ids.filter((id) => id === own) : ids;
          if (visible.length === 0) return new Map();
          return new Map((await partnerNames(this.deps.db, visible)).map((r) => [r.id, r.name]));
        },
      },
    };
  }

  async create(ctx: RequestContext, input: CreatePartnerInput): Promise<Partner> {
    const now = this.deps.clock.now().toISOString();
    const grants = normalizeGrants(input.grants);
    return this.deps.db.transaction().execute(async (trx) => {
      await this.checkGroups(trx, grants);
      const partner: Partner = { id: newId('ptn'), name: input.name, email: input.email?.toLowerCase() ?? null, grants, createdAt: now, updatedAt: now };
      await insertPartner(trx, partner);
      await this.deps.events.record(trx, ctx, { action: 'partner.created', targetType: 'partner', targetId: partner.id, after: partner });
      return partner;
    });
  }

  /** Staff list every partner; a partner actor its own only. */
  async list(ctx: RequestContext, filter: { q?: string; limit: number; cursor?: string }): Promise<Page<Partner>> {
    return page(await listPartnerRows(this.deps.db, { ...filter, ...(ctx.actor.scope.partnerId !== undefined ? { id: ctx.actor.scope.partnerId } : {}) }), filter.limit);
  }

  async get(ctx: RequestContext, id: string): Promise<Partner> {
    return this.getWith(this.deps.db, ctx, id);
  }

  /** `get` on the caller's executor; a partner actor reaches only its own partner. */
  async getWith(executor: Executor, ctx: RequestContext, id: string): Promise<Partner> {
    const own = ctx.actor.scope.partnerId;
    const partner = ctx.actor.scope.customerId === undefined && (own === undefined || own === id) ? await findPartner(executor, id) : undefined;
    if (!partner) throw notFound('Partner', id);
    return partner;
  }

  async update(ctx: RequestContext, id: string, input: UpdatePartnerInput): Promise<Partner> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await this.getWith(trx, ctx, id);
      const after: Partner = {
        ...before,
        name: input.name ?? before.name,
        email: input.email === undefined ? before.email : (input.email?.toLowerCase() ?? null),
        grants: input.grants ? normalizeGrants(input.grants) : before.grants,
        updatedAt: this.deps.clock.now().toISOString(),
      };
      if (input.grants) await this.checkGroups(trx, after.grants);
      await updatePartnerRow(trx, after);
      if (input.grants) await replaceGrants(trx, id, after.grants);
      await this.deps.events.record(trx, ctx, { action: 'partner.updated', targetType: 'partner', targetId: id, before, after });
      return after;
    });
  }

  /**
   * A partner actor's scope: the products of its groups and, per product, the union of its rights over
   * the groups holding it. Read at every request, so a changed grant applies at once.
   */
  async scopeOf(executor: Executor, partnerId: string): Promise<PartnerScope> {
    const grants = await grantsOf(executor, partnerId);
    const products = await this.deps.productGroups.productsOf(executor, grants.map((g) => g.productGroupId));
    const rights = new Map<string, Set<PartnerRight>>();
    for (const grant of grants) {
      for (const productId of products.get(grant.productGroupId) ?? []) {
        const set = rights.get(productId) ?? new Set<PartnerRight>();
        for (const right of grant.rights) set.add(right);
        rights.set(productId, set);
      }
    }
    return { partnerId, productIds: [...rights.keys()].sort(), partnerRights: rights };
  }

  /** Whether a partner with this id exists, on the caller's executor (a partner user names its partner). */
  async exists(executor: Executor, id: string): Promise<boolean> {
    return (await findPartner(executor, id)) !== undefined;
  }

  private async checkGroups(executor: Executor, grants: PartnerGrant[]): Promise<void> {
    const missing = await this.deps.productGroups.missingIds(executor, grants.map((g) => g.productGroupId));
    if (missing.length > 0) {
      throw new AppError('REFERENCE_NOT_FOUND', `No product group has the id ${missing.join(', ')}`, { fields: { grants: 'must name existing product groups' }, missing });
    }
  }
}

/**
 * One grant per group, rights deduplicated in the order of PARTNER_RIGHTS. The body schema already
 * refuses unknown and empty rights; this refuses a group named twice.
 */
function normalizeGrants(grants: PartnerGrant[]): PartnerGrant[] {
  const seen = new Set<string>();
  return grants.map((grant) => {
    if (seen.has(grant.productGroupId)) {
      throw new AppError('VALIDATION_FAILED', `The product group ${grant.productGroupId} is granted twice`, { fields: { grants: 'name each product group once' } });
    }
    seen.add(grant.productGroupId);
    if (grant.rights.length === 0) throw new AppError('VALIDATION_FAILED', 'A grant needs at least one right', { fields: { grants: 'rights must not be empty' } });
    return { productGroupId: grant.productGroupId, rights: PARTNER_RIGHTS.filter((r) => grant.rights.includes(r)) };
  });
}
