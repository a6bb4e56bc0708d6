import { isUniqueViolation, type Db, type Executor } from '../../db/database.js';
import { isCustomerRole } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ProductsService } from '../products/products.service.js';
import type { ModuleWiring } from '../../wiring.js';
import {
  deleteGroupRow,
  findGroup,
  groupIdsWithProducts,
  groupNameTaken,
  insertGroup,
  listGroups,
  missingGroupIds,
  productsOfGroups,
  removeProductFromGroups,
  replaceGroupProducts,
  updateGroupRow,
  type ProductGroup,
} from './product-groups.repository.js';

export type { ProductGroup } from './product-groups.repository.js';

export interface CreateProductGroupInput {
  name: string;
  productIds: string[];
  position?: number;
}
export type UpdateProductGroupInput = Partial<CreateProductGroupInput>;

/**
 * Whether another module's records still use a group (so it cannot be deleted): a word naming them
 * (`partner grants`), or undefined. Declared in that module's wiring (`productGroupUses`): partners and
 * contracts depend on product groups, not the other way round.
 */
export type ProductGroupUseCheck = (executor: Executor, groupId: string) => Promise<string | undefined>;

export interface ProductGroupsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  products: ProductsService;
}

/**
 * Product groups: named, ordered sets of products. Staff manage them (products:write); a partner reads
 * the groups of its products (and only those products in them); customers see none (they are the
 * vendor's sales structure, not the customer's business).
 */
export class ProductGroupsService {
  private readonly useChecks: ProductGroupUseCheck[] = [];

  constructor(private readonly deps: ProductGroupsDeps) {}

  addUseCheck(check: ProductGroupUseCheck): void {
    this.useChecks.push(check);
  }

  /** A deleted product leaves every group (inside the product's deletion, which is audited); event lists name groups. */
  wiring(): ModuleWiring {
    return {
      productGuards: [{ beforeDelete: async (trx, product) => void (await removeProductFromGroups(trx, product.id)) }],
      namers: {
        product_group: async (ctx, ids) => {
          const groups = (await listGroups(this.deps.db, ids)).filter((g) => this.visible(ctx, g));
          return new Map(groups.map((g) => [g.id, g.name]));
        },
      },
    };
  }

  async create(ctx: RequestContext, input: CreateProductGroupInput): Promise<ProductGroup> {
    const now = this.deps.clock.now().toISOString();
    const productIds = [...new Set(input.productIds)].sort();
    return this.deps.db.transaction().execute(async (trx) => {
      await this.checkProducts(trx, productIds);
      if (await groupNameTaken(trx, input.name)) throw nameTaken(input.name);
      const group: ProductGroup = { id: newId('pgrp'), name: input.name, position: input.position ?? 0, productIds, createdAt: now, updatedAt: now };
      await uniqueName(input.name, insertGroup(trx, group));
      await this.deps.events.record(trx, ctx, { action: 'product_group.created', targetType: 'product_group', targetId: group.id, after: group });
      return group;
    });
  }

  async list(ctx: RequestContext): Promise<ProductGroup[]> {
    if (isCustomerRole(ctx.actor.role)) return [];
    const { productIds } = ctx.actor.scope;
    if (productIds === undefined) return listGroups(this.deps.db);
    const ids = await groupIdsWithProducts(this.deps.db, productIds);
    return (await listGroups(this.deps.db, ids)).map((g) => this.forViewer(ctx, g));
  }

  /** Whether the product is in the group, on the caller's executor (a contract's coverage check while issuing). */
  async hasProductWith(executor: Executor, groupId: string, productId: string): Promise<boolean> {
    return ((await productsOfGroups(executor, [groupId])).get(groupId) ?? []).includes(productId);
  }

  async get(ctx: RequestContext, id: string): Promise<ProductGroup> {
    const group = await findGroup(this.deps.db, id);
    if (!group || !this.visible(ctx, group)) throw notFound('Product group', id);
    return this.forViewer(ctx, group);
  }

  async update(ctx: RequestContext, id: string, input: UpdateProductGroupInput): Promise<ProductGroup> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findGroup(trx, id);
      if (!before || !this.visible(ctx, before)) throw notFound('Product group', id);
      const after: ProductGroup = {
        ...before,
        name: input.name ?? before.name,
        position: input.position ?? before.position,
        productIds: input.productIds ? [...new Set(input.productIds)].sort() : before.productIds,
        updatedAt: this.deps.clock.now().toISOString(),
      };
      if (input.productIds) await this.checkProducts(trx, after.productIds);
      if (after.name !== before.name && (await groupNameTaken(trx, after.name, id))) throw nameTaken(after.name);
      await uniqueName(after.name, updateGroupRow(trx, after));
      if (input.productIds) await replaceGroupProducts(trx, id, after.productIds);
      await this.deps.events.record(trx, ctx, { action: 'product_group.updated', targetType: 'product_group', targetId: id, before, after });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await findGroup(trx, id);
      if (!before || !this.visible(ctx, before)) throw notFound('Product group', id);
      for (const check of this.useChecks) {
        const use = await check(trx, id);
        if (use) throw new AppError('IN_USE', `The product group is still used by ${use}; it cannot be deleted`, { use });
      }
      await deleteGroupRow(trx, id);
      await this.deps.events.record(trx, ctx, { action: 'product_group.deleted', targetType: 'product_group', targetId: id, before });
    });
  }

  /** The ids among these that name no group, on the caller's executor (a partner grant names its groups). */
  async missingIds(executor: Executor, ids: readonly string[]): Promise<string[]> {
    return missingGroupIds(executor, ids);
  }

  /** group id → its product ids (a partner's scope is the union over its grants). */
  async productsOf(executor: Executor, groupIds: readonly string[]): Promise<Map<string, string[]>> {
    return productsOfGroups(executor, groupIds);
  }

  /** Staff see every group; a partner the groups holding its products; a customer none. */
  private visible(ctx: RequestContext, group: ProductGroup): boolean {
    if (isCustomerRole(ctx.actor.role)) return false;
    const { productIds } = ctx.actor.scope;
    return productIds === undefined || group.productIds.some((id) => productIds.includes(id));
  }

  /** A partner sees only its own products in a group. */
  private forViewer(ctx: RequestContext, group: ProductGroup): ProductGroup {
    const { productIds } = ctx.actor.scope;
    return productIds === undefined ? group : { ...group, productIds: group.productIds.filter((id) => productIds.includes(id)) };
  }

  private async checkProducts(executor: Executor, productIds: string[]): Promise<void> {
    const known = await this.deps.products.codesByIds(executor, productIds);
    const missing = productIds.filter((id) => !known.has(id));
    if (missing.length > 0) {
      throw new AppError('REFERENCE_NOT_FOUND', `No product has the id ${missing.join(', ')}`, { fields: { productIds: 'must name existing products' }, missing });
    }
  }
}

function nameTaken(name: string): AppError {
  return new AppError('CONFLICT', `A product group named "${name}" already exists`, { fields: { name: 'is taken' } });
}

/** A concurrent creation with the same name loses on the unique index: the same 409 as the check. */
async function uniqueName(name: string, write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}
