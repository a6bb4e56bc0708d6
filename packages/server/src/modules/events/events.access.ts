import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/**
 * The ids of a partner's customers as a subquery, provided by the customers module through its wiring
 * (`partnerCustomers`): the events module does not read the customers table itself.
 */
export type PartnerCustomers = (partnerId: string) => SelectQueryBuilder<any, any, { id: string }>;

/**
 * Customers read only the events of their own organization; a partner the events of its own customers
 * (events.customer_id among them; none until the customers module installed `partnerCustomers`).
 */
export function eventScopeFilter<O>(query: SelectQueryBuilder<Database, 'events', O>, actor: Actor, partnerCustomers?: PartnerCustomers) {
  if (actor.scope.customerId !== undefined) return query.where('customer_id', '=', actor.scope.customerId);
  const { partnerId } = actor.scope;
  if (partnerId !== undefined) {
    if (!partnerCustomers) return query.where(sql<boolean>`1 = 0`);
    return query.where('customer_id', 'in', partnerCustomers(partnerId));
  }
  return query;
}
