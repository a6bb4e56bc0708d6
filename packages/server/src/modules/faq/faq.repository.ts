import type { Selectable } from 'kysely';
import { toIso, type Executor } from '../../db/database.js';
import type { FaqEntriesTable } from './faq.tables.js';
import { isStaff, type Actor } from '../../http/access.js';
import { renderMarkdown } from '../../lib/markdown.js';
import type { CustomerProducts } from '../products/products.service.js';

export interface FaqEntry {
  id: string;
  /** null: a general entry; else shown with that product. */
  productId: string | null;
  question: string;
  /** Markdown, as written. */
  answer: string;
  /** The answer rendered to safe HTML (raw HTML escaped, only http(s)/mailto/relative links). */
  answerHtml: string;
  position: number;
  published: boolean;
  createdAt: string;
  updatedAt: string;
}

function toEntry(row: Selectable<FaqEntriesTable>): FaqEntry {
  return {
    id: row.id,
    productId: row.product_id,
    question: row.question,
    answer: row.answer,
    answerHtml: renderMarkdown(row.answer),
    position: row.position,
    published: Boolean(row.published),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toRow(entry: FaqEntry): Selectable<FaqEntriesTable> {
  return {
    id: entry.id,
    product_id: entry.productId,
    question: entry.question,
    answer: entry.answer,
    position: entry.position,
    published: entry.published ? 1 : 0,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
  };
}

/**
 * Staff see every entry. Customers see published entries that are general or about a product they may
 * see (the same rule as products: licensed public products and custom products made for them).
 */
function scoped(db: Executor, actor: Actor, visible: CustomerProducts) {
  let q = db.selectFrom('faq_entries').selectAll();
  if (!isStaff(actor)) {
    q = q.where('published', '=', 1);
    const { customerId } = actor.scope;
    q = q.where((eb) =>
      eb.or([eb('product_id', 'is', null), ...(customerId !== undefined ? [eb('product_id', 'in', visible(customerId))] : [])]),
    );
  }
  return q;
}

/**
 * Entries are listed by position, then id, so the cursor carries both: `<position>-<id>` of the last
 * entry of the previous page (positions are 0 or more; ids have no dash).
 */
export function faqCursor(entry: FaqEntry): string {
  return `${entry.position}-${entry.id}`;
}

const CURSOR = /^(\d{1,7})-([A-Za-z0-9_]+)$/;

/** One page of entries (limit + 1 rows) after `cursor`; a cursor this list did not give matches nothing. */
export async function listEntries(db: Executor, actor: Actor, visible: CustomerProducts, filter: { productId?: string | undefined; limit: number; cursor?: string | undefined }): Promise<FaqEntry[]> {
  let q = scoped(db, actor, visible).orderBy('position').orderBy('id').limit(filter.limit + 1);
  const { productId } = filter;
  if (productId !== undefined) q = q.where((eb) => eb.or([eb('product_id', '=', productId), eb('product_id', 'is', null)]));
  if (filter.cursor !== undefined) {
    const after = CURSOR.exec(filter.cursor);
    if (!after) return [];
    const position = Number(after[1]);
    const id = after[2]!;
    q = q.where((eb) => eb.or([eb('position', '>', position), eb.and([eb('position', '=', position), eb('id', '>', id)])]));
  }
  return (await q.execute()).map(toEntry);
}

export async function findEntry(db: Executor, actor: Actor, visible: CustomerProducts, id: string): Promise<FaqEntry | undefined> {
  const row = await scoped(db, actor, visible).where('id', '=', id).executeTakeFirst();
  return row && toEntry(row);
}

export async function insertEntry(db: Executor, entry: FaqEntry): Promise<void> {
  await db.insertInto('faq_entries').values(toRow(entry)).execute();
}

export async function updateEntry(db: Executor, entry: FaqEntry): Promise<void> {
  const { id: _id, created_at: _created, ...values } = toRow(entry);
  await db.updateTable('faq_entries').set(values).where('id', '=', entry.id).execute();
}

export async function deleteEntry(db: Executor, id: string): Promise<boolean> {
  const res = await db.deleteFrom('faq_entries').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/** The position after the last entry (new entries go to the end unless placed). */
export async function nextPosition(db: Executor): Promise<number> {
  const row = await db.selectFrom('faq_entries').select((eb) => eb.fn.max('position').as('max')).executeTakeFirst();
  return row?.max === null || row?.max === undefined ? 10 : Number(row.max) + 10;
}
