import { randomBytes } from 'node:crypto';
import type { Db, Executor, Trx } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { stripUndefined } from '../../lib/objects.js';
import { page, type Page } from '../../lib/pagination.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { customerProductIds, type CustomerProducts, type LicensedProducts } from './products.access.js';
import { deleteProductRow, findProduct, insertProduct, listProducts, productKeyTaken, productLabels, updateProductRow, type Product } from './products.repository.js';
import type { ModuleWiring } from '../../wiring.js';

export type { Product } from './products.repository.js';
export type { CustomerProducts, LicensedProducts } from './products.access.js';

export interface CreateProductInput {
  name: string;
  code?: string;
  description?: string | null;
  url?: string | null;
  metadata?: Record<string, unknown>;
  trialDurations?: number[];
  trialPreset?: number;
  trialPolicyId?: string | null;
  publicTrials?: boolean;
  customerIds?: string[];
}
export type UpdateProductInput = Partial<CreateProductInput>;

/** The trial settings must agree: the preset is one of the allowed lengths. */
function checkTrialSettings(product: Product): void {
  if (!product.trialDurations.includes(product.trialPreset)) {
    throw new AppError('VALIDATION_FAILED', `trialPreset ${product.trialPreset} must be one of trialDurations (${product.trialDurations.join(', ')})`, {
      fields: { trialPreset: 'must be one of trialDurations' },
    });
  }
}

/** Latin letters that NFKD does not decompose into a base letter and a mark. */
const TRANSLITERATION: Record<string, string> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ħ: 'h', ı: 'i', ŋ: 'ng', ſ: 's', ĸ: 'k', ŀ: 'l',
};

/**
 * A stable machine-friendly code from a product name: "CRM Exporter" → "crm-exporter", "Café Crème" →
 * "cafe-creme", "Straße Øl" → "strasse-ol". Accents are dropped (NFKD, then the combining marks removed)
 * and the few Latin letters without a decomposition are spelled out. null when nothing Latin remains
 * ("インボイス"): the caller picks a unique fallback.
 */
export function codeFromName(name: string): string | null {
  const code = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\x00-\x7f]/g, (c) => TRANSLITERATION[c] ?? c)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return code || null;
}

/** A short random suffix (base 36) that keeps a generated code unique. */
function codeSuffix(): string {
  return randomBytes(4).readUInt32BE(0).toString(36).padStart(7, '0').slice(-6);
}

/** `base-2`, `base-3`, … the first that is free; after a few, a random suffix. */
async function freeCode(db: Executor, base: string): Promise<string> {
  for (let n = 2; n <= 5; n++) {
    const candidate = `${base}-${n}`;
    if (!(await productKeyTaken(db, candidate))) return candidate;
  }
  for (;;) {
    const candidate = `${base}-${codeSuffix()}`;
    if (!(await productKeyTaken(db, candidate))) return candidate;
  }
}

function normalizeDurations(days: number[]): number[] {
  return [...new Set(days)].sort((a, b) => a - b);
}

/**
 * A rule another module holds over products, run inside the changing transaction; it throws to refuse.
 * (The policies module: a product names only its own trial policy, and keeps existing while it has policies.)
 */
export interface ProductGuard {
  beforeUpdate?: (trx: Trx, product: Product, change: UpdateProductInput) => Promise<void>;
  beforeDelete?: (trx: Trx, product: Product) => Promise<void>;
}

export interface ProductsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  customers: CustomersService;
}

export class ProductsService {
  constructor(private readonly deps: ProductsDeps) {}

  private readonly guards: ProductGuard[] = [];
  private licensed: LicensedProducts | undefined;

  /** Adds a rule of another module (installed from its wiring: that module depends on products). */
  addGuard(guard: ProductGuard): void {
    this.guards.push(guard);
  }

  /** Installs how a customer's licensed products are found (the licenses module's wiring declares it). */
  setLicensedProducts(licensed: LicensedProducts): void {
    if (this.licensed) throw new Error('The licensed products are declared twice: one module owns licenses');
    this.licensed = licensed;
  }

  /**
   * The products a customer may see (licensed public products and custom products made for it), to
   * compose into every read scoped to a customer: products here, and releases and FAQ entries.
   */
  readonly customerProducts: CustomerProducts = customerProductIds((eb, customerId) => {
    if (!this.licensed) throw new Error('No module declared licensedProducts: customer scopes need the licenses module’s wiring');
    return this.licensed(eb, customerId);
  });

  /** A partner scope names only its own products (as with every read). */
  wiring(): ModuleWiring {
    return {
      namers: {
        product: async (ctx, ids) => {
          const visible = ctx.actor.scope.productIds ? ids.filter((id) => ctx.actor.scope.productIds!.includes(id)) : ids;
          if (visible.length === 0) return new Map();
          return new Map((await this.deps.db.selectFrom('products').select(['id', 'name']).where('id', 'in', visible).execute()).map((r) => [r.id, r.name]));
        },
      },
    };
  }

  async create(ctx: RequestContext, input: CreateProductInput): Promise<Product> {
    const now = this.deps.clock.now().toISOString();
    const product: Product = {
      id: newId('prod'),
      code: input.code ?? codeFromName(input.name) ?? `product-${codeSuffix()}`,
      name: input.name,
      description: input.description ?? null,
      url: input.url ?? null,
      metadata: input.metadata ?? {},
      trialDurations: normalizeDurations(input.trialDurations ?? [5, 30, 60, 90]),
      trialPreset: input.trialPreset ?? 30,
      trialPolicyId: input.trialPolicyId ?? null,
      publicTrials: input.publicTrials ?? false,
      customerIds: [...new Set(input.customerIds ?? [])],
      createdAt: now,
      updatedAt: now,
    };
    if (input.trialDurations && input.trialPreset === undefined && !product.trialDurations.includes(product.trialPreset)) {
      product.trialPreset = product.trialDurations[0]!;
    }
    checkTrialSettings(product);
    if (product.trialPolicyId !== null) throw new AppError('VALIDATION_FAILED', 'A new product has no policies yet: set trialPolicyId later', { fields: { trialPolicyId: 'must be a trial policy of this product' } });
    await this.deps.db.transaction().execute(async (trx) => {
      await this.checkCustomers(trx, product.customerIds);
      if (await productKeyTaken(trx, product.code)) {
        // A code the caller chose stays theirs to change; a generated one gets a suffix instead.
        if (input.code !== undefined) throw new AppError('CONFLICT', `A product with code "${product.code}" already exists`, { fields: { code: 'is taken' } });
        product.code = await freeCode(trx, product.code);
      }
      await insertProduct(trx, product);
      await this.deps.events.record(trx, ctx, { action: 'product.created', targetType: 'product', targetId: product.id, after: product });
    });
    return product;
  }

  /** Codes and names of these products, in one query (for lists that show the product of each row). */
  async labels(ids: string[]): Promise<Map<string, { code: string; name: string }>> {
    return this.labelsWith(this.deps.db, ids);
  }

  /** `labels` on the caller's executor (inside its transaction). */
  async labelsWith(executor: Executor, ids: string[]): Promise<Map<string, { code: string; name: string }>> {
    if (ids.length === 0) return new Map();
    const rows = await productLabels(executor, [...new Set(ids)]);
    return new Map(rows.map((r) => [r.id, { code: r.code, name: r.name }]));
  }

  /** The codes of these products, in one query on the caller's executor (inside its transaction, if any). */
  async codesByIds(executor: Executor, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await productLabels(executor, [...new Set(ids)]);
    return new Map(rows.map((r) => [r.id, r.code]));
  }

  async get(ctx: RequestContext, idOrCode: string): Promise<Product> {
    return this.getWith(this.deps.db, ctx, idOrCode);
  }

  /** `get` on the caller's executor (inside its transaction). */
  async getWith(executor: Executor, ctx: RequestContext, idOrCode: string): Promise<Product> {
    const product = await findProduct(executor, ctx.actor, this.customerProducts, idOrCode);
    if (!product) throw notFound('Product', idOrCode);
    return product;
  }

  async list(ctx: RequestContext, limit: number, cursor?: string): Promise<Page<Product>> {
    return page(await listProducts(this.deps.db, ctx.actor, this.customerProducts, limit, cursor), limit);
  }

  async update(ctx: RequestContext, id: string, input: UpdateProductInput): Promise<Product> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findProduct(trx, ctx.actor, this.customerProducts, id);
      if (!before || before.id !== id) throw notFound('Product', id);
      const after: Product = { ...before, ...stripUndefined(input), updatedAt: this.deps.clock.now().toISOString() };
      if (input.trialDurations) {
        after.trialDurations = normalizeDurations(input.trialDurations);
        if (input.trialPreset === undefined && !after.trialDurations.includes(after.trialPreset)) after.trialPreset = after.trialDurations[0]!;
      }
      checkTrialSettings(after);
      if (input.customerIds) {
        after.customerIds = [...new Set(input.customerIds)];
        await this.checkCustomers(trx, after.customerIds);
      }
      for (const guard of this.guards) await guard.beforeUpdate?.(trx, after, input);
      if (after.code !== before.code) {
        const clash = await findProduct(trx, ctx.actor, this.customerProducts, after.code);
        if (clash && clash.id !== id) throw new AppError('CONFLICT', `A product with code "${after.code}" already exists`);
      }
      await updateProductRow(trx, after);
      await this.deps.events.record(trx, ctx, { action: 'product.updated', targetType: 'product', targetId: id, before, after });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await findProduct(trx, ctx.actor, this.customerProducts, id);
      if (!before || before.id !== id) throw notFound('Product', id);
      for (const guard of this.guards) await guard.beforeDelete?.(trx, before);
      await deleteProductRow(trx, id);
      await this.deps.events.record(trx, ctx, { action: 'product.deleted', targetType: 'product', targetId: id, before });
    });
  }

  /** Every customer a custom product names must exist. */
  private async checkCustomers(trx: Trx, customerIds: string[]): Promise<void> {
    const missing = await this.deps.customers.missingIds(trx, customerIds);
    if (missing.length > 0) {
      throw new AppError('REFERENCE_NOT_FOUND', `No customer has the id ${missing.join(', ')}`, { fields: { customerIds: 'must name existing customers' } });
    }
  }
}
