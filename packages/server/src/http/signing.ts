import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Signer } from '../crypto/signing.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from './errors.js';
import { NONCE_PATTERN } from './schemas.js';

/** The request header that carries the client's nonce (it wins over the body's `nonce`). */
export const NONCE_HEADER = 'keyhaven-nonce';

const nonceShape = new RegExp(NONCE_PATTERN);

/**
 * The exact string a client verifies (CONTRACT.md, revision 2), lines joined by `\n`:
 * `<Date>`, `<method> <path>`, `<status>`, `nonce=<nonce or nothing>`, `sha-256=<base64 body digest>`.
 * Status and nonce are signed so that an answer cannot be moved to another status or another request.
 */
export function signingString(date: string, method: string, path: string, status: number, nonce: string | undefined, body: string | Buffer): string {
  const digest = createHash('sha256').update(body).digest('base64');
  return `${date}\n${method.toLowerCase()} ${path}\n${status}\nnonce=${nonce ?? ''}\nsha-256=${digest}`;
}

/**
 * The request's nonce: the `Keyhaven-Nonce` header when present, else the body's `nonce`. A body nonce
 * that does not have the nonce's shape (a request refused by its schema) counts as none.
 */
export function requestNonce(request: FastifyRequest): string | undefined {
  const header = request.headers[NONCE_HEADER];
  if (typeof header === 'string' && nonceShape.test(header)) return header;
  const body = request.body as { nonce?: unknown } | null | undefined;
  const fromBody = body !== null && typeof body === 'object' ? body.nonce : undefined;
  return typeof fromBody === 'string' && nonceShape.test(fromBody) ? fromBody : undefined;
}

/**
 * Signs every answer of a route whose config has `signed: true` (the client operations), errors, 204s
 * and the rate limiter's 429s included, as CONTRACT.md describes, and echoes the request's nonce in
 * every JSON answer (`{"error": {...}, "nonce": ...}` for errors). The path is the request path without
 * the query string. A malformed `Keyhaven-Nonce` header is a 400 before anything else runs.
 */
export function registerResponseSigning(app: FastifyInstance, signer: Signer, clock: Clock): void {
  let cachedSecond = -1;
  let cachedDate = '';
  const httpDate = (): string => {
    const ms = clock.now().getTime();
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
      cachedSecond = second;
      cachedDate = new Date(second * 1000).toUTCString();
    }
    return cachedDate;
  };
  const keyId = `keyid="${signer.keyId}", algorithm="ed25519", signature="`;

  // Registered before the routes, so it runs before their own onRequest hooks (the rate limiter's).
  app.addHook('onRequest', (request, reply, done) => {
    const header = request.headers[NONCE_HEADER];
    if (reply.routeOptions.config?.signed !== true || header === undefined || (typeof header === 'string' && nonceShape.test(header))) return done();
    done(
      new AppError('VALIDATION_FAILED', 'The Keyhaven-Nonce header must be 1 to 200 visible ASCII characters', {
        fields: { [NONCE_HEADER]: 'must be 1 to 200 visible ASCII characters' },
      }),
    );
  });

  app.addHook('preSerialization', (request, reply, payload, done) => {
    if (reply.routeOptions.config?.signed !== true || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return done(null, payload);
    const nonce = requestNonce(request);
    if (nonce === undefined) {
      if (!('nonce' in payload)) return done(null, payload);
      const { nonce: _dropped, ...rest } = payload as Record<string, unknown>;
      return done(null, rest);
    }
    done(null, { ...(payload as Record<string, unknown>), nonce });
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.routeOptions.config?.signed !== true) return done(null, payload);
    const date = httpDate();
    // A 204 (or 304) goes out without a body whatever the handler sent (e.g. the serialized "null"
    // of send(null)): sign the empty body the client receives.
    const bodyless = reply.statusCode === 204 || reply.statusCode === 304;
    const body = !bodyless && (typeof payload === 'string' || Buffer.isBuffer(payload)) ? payload : '';
    const queryAt = request.url.indexOf('?');
    const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    const signed = signingString(date, request.method, path, reply.statusCode, requestNonce(request), body);
    reply.header('date', date);
    reply.header('keyhaven-signature', keyId + signer.sign(signed) + '"');
    done(null, payload);
  });
}
