import type { Db } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Page, PageOptions } from '../../lib/pagination.js';
import { renderMarkdown } from '../../lib/markdown.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ProductsService } from '../products/products.service.js';
import { deleteEntry, faqCursor, findEntry, insertEntry, listEntries, nextPosition, updateEntry, type FaqEntry } from './faq.repository.js';

export type { FaqEntry } from './faq.repository.js';

export interface FaqInput {
  question: string;
  answer: string;
  productId?: string | null;
  position?: number;
  published?: boolean;
}

export interface FaqDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  products: ProductsService;
}

/** The customer portal's FAQ: staff write entries (Markdown answers), customers read the published ones. */
export class FaqService {
  constructor(private readonly deps: FaqDeps) {}

  async list(ctx: RequestContext, filter: { productId?: string | undefined } & PageOptions): Promise<Page<FaqEntry>> {
    const rows = await listEntries(this.deps.db, ctx.actor, this.deps.products.customerProducts, filter);
    if (rows.length <= filter.limit) return { data: rows, nextCursor: null };
    const data = rows.slice(0, filter.limit);
    return { data, nextCursor: faqCursor(data[data.length - 1]!) };
  }

  async create(ctx: RequestContext, input: FaqInput): Promise<FaqEntry> {
    const productId = input.productId ? (await this.deps.products.get(ctx, input.productId)).id : null;
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const entry: FaqEntry = {
        id: newId('faq'),
        productId,
        question: input.question,
        answer: input.answer,
        answerHtml: renderMarkdown(input.answer),
        position: input.position ?? (await nextPosition(trx)),
        published: input.published ?? true,
        createdAt: now,
        updatedAt: now,
      };
      await insertEntry(trx, entry);
      await this.deps.events.record(trx, ctx, { action: 'faq.created', targetType: 'faq', targetId: entry.id, after: entry });
      return entry;
    });
  }

  async update(ctx: RequestContext, id: string, input: Partial<FaqInput>): Promise<FaqEntry> {
    const productId = input.productId ? (await this.deps.products.get(ctx, input.productId)).id : input.productId;
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findEntry(trx, ctx.actor, this.deps.products.customerProducts, id);
      if (!before) throw notFound('FAQ entry', id);
      const answer = input.answer ?? before.answer;
      const after: FaqEntry = {
        ...before,
        question: input.question ?? before.question,
        answer,
        answerHtml: renderMarkdown(answer),
        productId: productId === undefined ? before.productId : productId,
        position: input.position ?? before.position,
        published: input.published ?? before.published,
        updatedAt: this.deps.clock.now().toISOString(),
      };
      await updateEntry(trx, after);
      await this.deps.events.record(trx, ctx, { action: 'faq.updated', targetType: 'faq', targetId: id, before, after });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await findEntry(trx, ctx.actor, this.deps.products.customerProducts, id);
      if (!before || !(await deleteEntry(trx, id))) throw notFound('FAQ entry', id);
      await this.deps.events.record(trx, ctx, { action: 'faq.deleted', targetType: 'faq', targetId: id, before });
    });
  }
}
