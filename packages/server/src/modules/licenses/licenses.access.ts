import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';
import type { LicensedProducts } from '../products/products.service.js';
import { partnerCustomerIds } from '../customers/customers.access.js';

/**
 * Customers see their own organization's licenses. A partner sees the licenses of its own customers and
 * those it sold, and only for the products of its groups.
 */
export function licenseScopeFilter<O>(query: SelectQueryBuilder<Database, 'licenses', O>, actor: Actor) {
  let q = query;
  if (actor.scope.customerId !== undefined) q = q.where('licenses.customer_id', '=', actor.scope.customerId);
  const { partnerId } = actor.scope;
  if (partnerId !== undefined) {
    q = q.where((eb) => eb.or([eb('licenses.customer_id', 'in', partnerCustomerIds(eb, partnerId)), eb('licenses.sold_by', '=', partnerId)]));
  }
  if (actor.scope.productIds !== undefined) q = q.where('licenses.product_id', 'in', actor.scope.productIds.length > 0 ? [...actor.scope.productIds] : ['']);
  return q;
}

/**
 * The ids of the licenses the actor may see, as a subquery: how another module's query (machines, seats)
 * narrows to the actor's licenses without naming the licenses table itself.
 */
export function licenseIdsInScope<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, actor: Actor) {
  const e = eb as unknown as ExpressionBuilder<Database, never>;
  return licenseScopeFilter(e.selectFrom('licenses'), actor).select('licenses.id');
}

/**
 * The ids of the products a customer holds a license for, as a subquery: what a customer's product scope
 * composes (declared to the products module as `licensedProducts`, since products cannot know licenses).
 */
export const licensedProductIds: LicensedProducts = (eb, customerId) =>
  eb.selectFrom('licenses').select('licenses.product_id').where('licenses.customer_id', '=', customerId);
