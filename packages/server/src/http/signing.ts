import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Signer } from '../crypto/signing.js';
import type { Clock } from '../lib/clock.js';

/** The exact string a client verifies: `<Date>\n<method> <path>\nsha-256=<base64 body digest>`. */
export function signingString(date: string, method: string, path: string, body: string | Buffer): string {
  const digest = createHash('sha256').update(body).digest('base64');
  return `${date}\n${method.toLowerCase()} ${path}\nsha-256=${digest}`;
}

/**
 * Signs every answer of a route whose config has `signed: true` (the client operations), errors
 * included, as CONTRACT.md describes. The path is the request path without the query string.
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

  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.routeOptions.config?.signed !== true) return done(null, payload);
    const date = httpDate();
    // A 204 (or 304) goes out without a body whatever the handler sent (e.g. the serialized "null"
    // of send(null)): sign the empty body the client receives.
    const bodyless = reply.statusCode === 204 || reply.statusCode === 304;
    const body = !bodyless && (typeof payload === 'string' || Buffer.isBuffer(payload)) ? payload : '';
    const queryAt = request.url.indexOf('?');
    const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    reply.header('date', date);
    reply.header('keyhaven-signature', keyId + signer.sign(signingString(date, request.method, path, body)) + '"');
    done(null, payload);
  });
}
