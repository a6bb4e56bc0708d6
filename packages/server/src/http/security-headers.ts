import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const policy = (directives: Record<string, string>) =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

/**
 * The web app's policy, sent with every answer outside `/docs` (API JSON too, where it only forbids
 * framing). Scripts come only from our own files (the Vite build has no inline script). Styles may be
 * inline because the mail previews (`<iframe sandbox srcdoc>`, which inherits this policy) show mail
 * HTML styled with style attributes; images may come from https for the logos in that mail. The app
 * talks only to its own origin and may not be framed by anyone.
 */
export const APP_CSP = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: https:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'frame-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
});

/** Swagger UI at `/docs`: its own script files and inline styles; it fetches the OpenAPI document from here. */
export const DOCS_CSP = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
});

/**
 * Headers every answer carries, whatever produced it (routes, static files, the docs UI, errors and
 * 404s): no MIME sniffing, no framing (`X-Frame-Options` for browsers without `frame-ancestors`), no
 * Referer (the set-password page's URL holds a one-time token; links in release notes must not carry
 * it elsewhere), and a Content-Security-Policy. A policy a route set itself is kept.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    setSecurityHeaders(request, reply);
    return payload;
  });
}

/** The headers themselves; also called for the errors Fastify answers before routing (no hooks run for those). */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  if (!reply.hasHeader('content-security-policy')) {
    const url = request.url;
    reply.header('content-security-policy', url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?') ? DOCS_CSP : APP_CSP);
  }
}
