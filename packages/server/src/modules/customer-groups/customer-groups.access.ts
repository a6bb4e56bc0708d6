import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * The ids of groups `userId` belongs to, as a subquery: how another module's query (the licenses' ticket
 * visibility) narrows to a person's groups without naming this module's tables.
 * - `administered`: the groups the person is an admin of (they see every ticket of the group);
 * - `shared`: the groups the person is in whose visibility is `members` (they see the group's tickets
 *   that no person holds).
 */
export function groupIdsOfMember<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, userId: string, which: 'administered' | 'shared') {
  const e = eb as unknown as ExpressionBuilder<Database, never>;
  let q = e
    .selectFrom('customer_group_members')
    .innerJoin('customer_groups', 'customer_groups.id', 'customer_group_members.group_id')
    .select('customer_group_members.group_id')
    .where('customer_group_members.user_id', '=', userId);
  q = which === 'administered' ? q.where('customer_group_members.admin', '=', 1) : q.where('customer_groups.visibility', '=', 'members');
  return q;
}
