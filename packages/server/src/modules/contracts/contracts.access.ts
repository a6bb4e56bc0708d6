import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import { isStaffRole, type Actor } from '../../http/access.js';

/**
 * Which contracts an actor sees: staff every one; a customer credential its own organization's; a partner
 * user its partner's. Any other credential sees none, so a new role starts with nothing rather than everything.
 */
export function contractScopeFilter<O>(query: SelectQueryBuilder<Database, 'contracts', O>, actor: Actor) {
  if (actor.scope.customerId !== undefined) return query.where('contracts.customer_id', '=', actor.scope.customerId);
  if (actor.scope.partnerId !== undefined) return query.where('contracts.partner_id', '=', actor.scope.partnerId);
  if (!isStaffRole(actor.role)) return query.where('contracts.id', '=', '');
  return query;
}
