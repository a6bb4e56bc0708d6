import type { Db } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { stripUndefined } from '../../lib/objects.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import {
  deleteProductRow,
  findProduct,
  insertProduct,
  listProducts,
  productInUse,
  updateProductRow,
  type Product,
} from './products.repository.js';

export type { Product } from './products.repository.js';

export interface CreateProductInput {
  name: string;
  code?: string;
  description?: string | null;
  url?: string | null;
  metadata?: Record<string, unknown>;
}
export type UpdateProductInput = Partial<CreateProductInput>;

/** A stable machine-friendly code from a product name: "CRM Exporter" → "crm-exporter". */
export function codeFromName(name: string): string {
  const code = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return code || 'product';
}

export class ProductsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly events: EventsService,
  ) {}

  async create(ctx: RequestContext, input: CreateProductInput): Promise<Product> {
    const now = this.clock.now().toISOString();
    const product: Product = {
      id: newId('prod'),
      code: input.code ?? codeFromName(input.name),
      name: input.name,
      description: input.description ?? null,
      url: input.url ?? null,
      metadata: input.metadata ?? {},
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction().execute(async (trx) => {
      if (await findProduct(trx, ctx.actor, product.code)) {
        throw new AppError('CONFLICT', `A product with code "${product.code}" already exists`, { fields: { code: 'is taken' } });
      }
      await insertProduct(trx, product);
      await this.events.record(trx, ctx, { action: 'product.created', targetType: 'product', targetId: product.id, after: product });
    });
    return product;
  }

  async get(ctx: RequestContext, idOrCode: string): Promise<Product> {
    const product = await findProduct(this.db, ctx.actor, idOrCode);
    if (!product) throw notFound('Product', idOrCode);
    return product;
  }

  async list(ctx: RequestContext, limit: number, cursor?: string): Promise<Page<Product>> {
    return page(await listProducts(this.db, ctx.actor, limit, cursor), limit);
  }

  async update(ctx: RequestContext, id: string, input: UpdateProductInput): Promise<Product> {
    return this.db.transaction().execute(async (trx) => {
      const before = await findProduct(trx, ctx.actor, id);
      if (!before || before.id !== id) throw notFound('Product', id);
      const after: Product = { ...before, ...stripUndefined(input), updatedAt: this.clock.now().toISOString() };
      if (after.code !== before.code) {
        const clash = await findProduct(trx, ctx.actor, after.code);
        if (clash && clash.id !== id) throw new AppError('CONFLICT', `A product with code "${after.code}" already exists`);
      }
      await updateProductRow(trx, after);
      await this.events.record(trx, ctx, { action: 'product.updated', targetType: 'product', targetId: id, before, after });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = await findProduct(trx, ctx.actor, id);
      if (!before || before.id !== id) throw notFound('Product', id);
      if (await productInUse(trx, id)) {
        throw new AppError('CONFLICT', 'The product still has policies; delete them first');
      }
      await deleteProductRow(trx, id);
      await this.events.record(trx, ctx, { action: 'product.deleted', targetType: 'product', targetId: id, before });
    });
  }
}
