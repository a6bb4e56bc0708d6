import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/** A LIKE pattern matching `"<id>"` inside a JSON array of ids, with LIKE's wildcards escaped. */
function jsonMember(id: string): string {
  return `%${JSON.stringify(id).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The ids of the products a customer may see: public products it holds a license for, and custom
 * products made for it (whether or not a license exists yet). A custom product is never visible to
 * other customers, even one holding a license issued before the product became custom.
 */
export function customerProductIds<DB extends Database, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, customerId: string) {
  const e = eb as unknown as ExpressionBuilder<Database, never>;
  return e
    .selectFrom('products')
    .select('products.id')
    .where((w) =>
      w.or([
        w.and([
          w('products.customer_ids', '=', '[]'),
          w('products.id', 'in', w.selectFrom('licenses').select('licenses.product_id').where('licenses.customer_id', '=', customerId)),
        ]),
        w(sql<string>`products.customer_ids`, 'like', sql<string>`${jsonMember(customerId)} escape '\\'`),
      ]),
    );
}

/**
 * Staff see every product. A customer sees the products its organization holds a license for, and the
 * custom products made for it; a partner scope (product groups) narrows to its products.
 */
export function productScopeFilter<O>(query: SelectQueryBuilder<Database, 'products', O>, actor: Actor) {
  let q = query;
  const { customerId, productIds } = actor.scope;
  if (customerId !== undefined) q = q.where('products.id', 'in', (eb) => customerProductIds(eb, customerId));
  if (productIds !== undefined) q = q.where('products.id', 'in', productIds.length > 0 ? [...productIds] : ['']);
  return q;
}
