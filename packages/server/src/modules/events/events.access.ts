import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';

/**
 * Customers read only the events of their own organization. A partner reads none yet: which events are
 * its own (its customers', its users') is the partner visibility step of issue 14; until then, nothing.
 */
export function eventScopeFilter<O>(query: SelectQueryBuilder<Database, 'events', O>, actor: Actor) {
  if (actor.scope.customerId !== undefined) return query.where('customer_id', '=', actor.scope.customerId);
  if (actor.scope.partnerId !== undefined) return query.where(sql<boolean>`1 = 0`);
  return query;
}
