import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/**
 * Staff see every product. A customer sees the products its organization holds a license for; a
 * partner scope (product groups) narrows to its products.
 */
export function productScopeFilter<O>(query: SelectQueryBuilder<Database, 'products', O>, actor: Actor) {
  let q = query;
  const { customerId, productIds } = actor.scope;
  if (customerId !== undefined) {
    q = q.where('products.id', 'in', (eb) =>
      eb.selectFrom('licenses').select('licenses.product_id').where('licenses.customer_id', '=', customerId),
    );
  }
  if (productIds !== undefined) q = q.where('products.id', 'in', productIds.length > 0 ? [...productIds] : ['']);
  return q;
}
