import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { RequestContext } from '../modules/events/events.service.js';
import type { Actor, RouteAccess } from './access.js';
import { AppError } from './errors.js';

/** The Fastify instance with TypeBox typing of params, query, body and replies. */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth layer for every non-public route; null on public routes. */
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Required on every route: who may call it. */
    access?: RouteAccess;
    /** Client operations: sign the response (Keyhaven-Signature) and echo the nonce. */
    signed?: boolean;
  }
}

/** The service-call context of an authenticated request. */
export function ctx(request: FastifyRequest): RequestContext {
  if (!request.actor) throw new AppError('UNAUTHENTICATED', 'Sign in or send a bearer token');
  return { actor: request.actor, requestId: request.id, ip: request.ip };
}
