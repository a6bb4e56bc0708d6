import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';
import type { LicensedProducts } from '../products/products.service.js';
import { groupIdsOfMember } from '../customer-groups/customer-groups.access.js';
import { partnerCustomerIds } from '../customers/customers.access.js';

/**
 * Customers see their own organization's licenses; a customer member only the tickets it may (see
 * `ticketVisible`), customer admins all of their organization's. A partner sees the licenses of its own
 * customers and those it sold, and only for the products of its groups.
 *
 * `productsAsFilter`: the partner's products are checked on each row read, never used to find the rows.
 * For reads driven by the partner's own index (sold_by, or its customers' licenses_customer_idx): without
 * statistics SQLite rates `product_id = ?` above `customer_id in (…)` and walks every license of the
 * product instead (licenses_product_idx), though a partner's products hold most of the licenses.
 */
export function licenseScopeFilter<O>(query: SelectQueryBuilder<Database, 'licenses', O>, actor: Actor, { productsAsFilter = false } = {}) {
  let q = query;
  if (actor.scope.customerId !== undefined) q = q.where('licenses.customer_id', '=', actor.scope.customerId);
  const { partnerId } = actor.scope;
  if (partnerId !== undefined) {
    q = q.where((eb) => eb.or([eb('licenses.customer_id', 'in', partnerCustomerIds(eb, partnerId)), eb('licenses.sold_by', '=', partnerId)]));
  }
  if (actor.scope.productIds !== undefined) {
    const products = actor.scope.productIds.length > 0 ? [...actor.scope.productIds] : [''];
    // `product_id || ''` is the same value, but no index can serve it (`+product_id` is SQLite-only).
    q = productsAsFilter ? q.where(sql<string>`licenses.product_id || ''`, 'in', products) : q.where('licenses.product_id', 'in', products);
  }
  // A client application (type `license`) acts on its own license with a member's role: not a person.
  if (actor.role === 'customer-member' && (actor.type === 'user' || actor.type === 'token')) {
    const person = actor.type === 'user' ? actor.id : null;
    q = q.where((eb) => ticketVisible(eb, person));
  }
  return q;
}

/**
 * The tickets a customer member sees (`person`: its user id; null for a member API token, which is no
 * person): those allocated to the organization; to itself; to a group it is in whose visibility is
 * `members`, as long as no person holds them; and every ticket of a group it administers.
 */
function ticketVisible(eb: ExpressionBuilder<Database, 'licenses'>, person: string | null) {
  const organization = eb.and([eb('licenses.allocated_group_id', 'is', null), eb('licenses.allocated_user_id', 'is', null)]);
  if (person === null) return organization;
  return eb.or([
    organization,
    eb('licenses.allocated_user_id', '=', person),
    eb.and([eb('licenses.allocated_user_id', 'is', null), eb('licenses.allocated_group_id', 'in', groupIdsOfMember(eb, person, 'shared'))]),
    eb('licenses.allocated_group_id', 'in', groupIdsOfMember(eb, person, 'administered')),
  ]);
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

/**
 * The licenses a partner is credited with (partner reports): those it sold (`sold_by`), and the vendor's
 * own sales (`sold_by` null) to customers that belong to it. A license sold by one partner to another
 * partner's customer counts for the seller only.
 */
export function licenseIdsCreditedTo<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, partnerId: string) {
  const e = eb as unknown as ExpressionBuilder<Database, never>;
  return e
    .selectFrom('licenses')
    .select('licenses.id')
    .where((w) => w.or([w('licenses.sold_by', '=', partnerId), w.and([sql<boolean>`coalesce(licenses.sold_by, '') = ''`, w('licenses.customer_id', 'in', partnerCustomerIds(w, partnerId))])]));
}
