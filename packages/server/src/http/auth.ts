import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../modules/auth/auth.service.js';
import { can, isStaff } from './access.js';
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

  // A callback hook, not an async one: public client routes (the hot path) pass through without a promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const access = request.routeOptions.config?.access;
    if (!access) {
      // Only the not-found handler has no rule; anything else would be a route that slipped past onRoute.
      if (request.is404) return done();
      return done(new AppError('FORBIDDEN', 'This route has no access rule'));
    }
    if ('public' in access) return done();
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return done(new AppError('UNAUTHENTICATED', 'Send Authorization: Bearer <token> (a session or API token)'));
    auth.authenticate(match[1]!).then(
      (actor) => {
        if ('permission' in access && !can(actor, access.permission)) {
          return done(new AppError('FORBIDDEN', `Your role (${actor.role}) does not allow ${access.permission}`));
        }
        if ('staffOnly' in access && access.staffOnly && !isStaff(actor)) {
          return done(new AppError('FORBIDDEN', `This route is for staff; your role (${actor.role}) is a customer role`));
        }
        request.actor = actor;
        done();
      },
      (error: Error) => done(error),
    );
  });

}
