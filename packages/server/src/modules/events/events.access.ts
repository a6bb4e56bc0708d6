import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/** Customers read only the events of their own organization. */
export function eventScopeFilter<O>(query: SelectQueryBuilder<Database, 'events', O>, actor: Actor) {
  if (actor.scope.customerId !== undefined) return query.where('customer_id', '=', actor.scope.customerId);
  return query;
}
