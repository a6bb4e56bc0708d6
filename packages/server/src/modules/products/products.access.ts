import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/** A LIKE pattern matching `"<id>"` inside a JSON array of ids, with LIKE's wildcards escaped. */
function jsonMember(id: string): string {
  return `%${JSON.stringify(id).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A subquery selecting one column of product ids. */
export type ProductIdsQuery = SelectQueryBuilder<Database, any, { product_id: string }>;

/**
 * The ids of the products a customer holds a license for, as a subquery built on `eb`. The licenses
 * module declares it in its wiring (`licensedProducts`): licenses depends on products, so products
 * cannot ask it directly, and the licenses table stays named only there.
 */
export type LicensedProducts = (eb: ExpressionBuilder<Database, never>, customerId: string) => ProductIdsQuery;

/**
 * The products a customer may see, ready to compose into a scoped read:
 * `.where('releases.product_id', 'in', visible(customerId))`. From ProductsService.customerProducts.
 */
export type CustomerProducts = (customerId: string) => <DB extends Database, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>) => SelectQueryBuilder<Database, 'products', { id: string }>;

/**
 * The ids of the products a customer may see: public products it holds a license for, and custom
 * products made for it (whether or not a license exists yet). A custom product is never visible to
 * other customers, even one holding a license issued before the product became custom.
 */
export function customerProductIds(licensed: LicensedProducts): CustomerProducts {
  return (customerId) => (eb) => {
    const e = eb as unknown as ExpressionBuilder<Database, never>;
    return e
      .selectFrom('products')
      .select('products.id')
      .where((w) =>
        w.or([
          w.and([w('products.customer_ids', '=', '[]'), w('products.id', 'in', licensed(e, customerId))]),
          w(sql<string>`products.customer_ids`, 'like', sql<string>`${jsonMember(customerId)} escape '\\'`),
        ]),
      );
  };
}

/**
 * Staff see every product. A customer sees the products its organization holds a license for, and the
 * custom products made for it; a partner scope (product groups) narrows to its products.
 */
export function productScopeFilter<O>(query: SelectQueryBuilder<Database, 'products', O>, actor: Actor, visible: CustomerProducts) {
  let q = query;
  const { customerId, productIds } = actor.scope;
  if (customerId !== undefined) q = q.where('products.id', 'in', visible(customerId));
  if (productIds !== undefined) q = q.where('products.id', 'in', productIds.length > 0 ? [...productIds] : ['']);
  return q;
}
