import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../modules/auth/auth.service.js';
import { can } from './access.js';
import { AppError } from './errors.js';

/**
 * The one access layer. Every route must declare `config.access` (registration fails otherwise); before
 * the body is even parsed, non-public routes resolve the bearer credential to an actor and check the
 * route's permission. Organization scoping then happens in each module's `*.access.ts` filters.
 */
export function registerAccessLayer(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('actor', null);

  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (route.config?.access) return;
    // Routes added by the OpenAPI UI plugin serve static documentation.
    if (url === '/docs' || url.startsWith('/docs/')) {
      route.config = { ...route.config, access: { public: true } };
      return;
    }
    throw new Error(`Route ${route.method} ${url} declares no access rule (config.access)`);
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access) {
      // Only the not-found handler has no rule; anything else would be a route that slipped past onRoute.
      if (request.is404) return;
      throw new AppError('FORBIDDEN', 'This route has no access rule');
    }
    if ('public' in access) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new AppError('UNAUTHENTICATED', 'Send Authorization: Bearer <token> (a session or API token)');
    const actor = await auth.authenticate(match[1]!);
    if ('permission' in access && !can(actor, access.permission)) {
      throw new AppError('FORBIDDEN', `Your role (${actor.role}) does not allow ${access.permission}`);
    }
    request.actor = actor;
  });
}
