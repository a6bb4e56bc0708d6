import { actorCanGrant, type Actor, type Role } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';

/**
 * The one rule for every action on an existing user (update, disable, enable, set its password, send or
 * show it a set-password link): the actor must be allowed to grant the user's role (an admin never acts
 * on an owner; a token is held to its creator's current role too), and an organization-scoped actor
 * reaches only its own organization's users. Anything that lets an actor choose someone's password is
 * an account takeover when this rule is skipped, so every user action calls it.
 */
export function assertMayManageUser(actor: Actor, user: { id: string; role: string; customer_id: string | null; partner_id: string | null }): void {
  if (actor.scope.customerId !== undefined && user.customer_id !== actor.scope.customerId) throw notFound('User', user.id);
  if (actor.scope.partnerId !== undefined && user.partner_id !== actor.scope.partnerId) throw notFound('User', user.id);
  if (!actorCanGrant(actor, user.role as Role)) {
    throw new AppError('ROLE_NOT_GRANTABLE', `Your role (${actor.role}) cannot act on a user with the role ${user.role}`);
  }
}
