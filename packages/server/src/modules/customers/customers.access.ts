import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/**
 * The customers an actor may see: a customer actor its own organization, a partner actor the customers
 * that belong to its partner (created by it or assigned by staff), staff every customer.
 */
export function customerScopeFilter<O>(query: SelectQueryBuilder<Database, 'customers', O>, actor: Actor) {
  let q = query;
  if (actor.scope.customerId !== undefined) q = q.where('customers.id', '=', actor.scope.customerId);
  if (actor.scope.partnerId !== undefined) q = q.where('customers.partner_id', '=', actor.scope.partnerId);
  return q;
}

/**
 * The ids of a partner's customers, as a subquery: how a higher module's query (licenses, orders, trials,
 * renewals) narrows a partner actor to its own customers without naming the customers table itself.
 */
export function partnerCustomerIds<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, partnerId: string) {
  const e = eb as unknown as ExpressionBuilder<Database, never>;
  return e.selectFrom('customers').select('customers.id').where('customers.partner_id', '=', partnerId);
}
