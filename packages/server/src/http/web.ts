import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import type { App } from './types.js';

/** packages/web/dist, from this file in packages/server/src/http or packages/server/dist/http. */
export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

/** Paths that belong to the API and its documentation: never answered with the web app. */
const API_PREFIXES = ['/v1/', '/docs', '/openapi.json', '/health'];

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keyhaven</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web app is not built</h1>
<p>This Keyhaven server answers its API (see <a href="/docs">/docs</a>), but the web console and portal have not been built.
Run <code>npm run build</code> (or <code>npm start</code>, which builds first) in the Keyhaven folder, then reload this page.</p>
</body></html>
`;

/**
 * The icon browsers ask for on every page (`/favicon.ico`) and the one index.html links
 * (`/favicon.svg`): a key on the brand colour. The server owns it, so the API docs and a server without
 * a web build have it too.
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#1f4fd1"/>
<circle cx="12" cy="16" r="6" fill="none" stroke="#fff" stroke-width="3"/>
<path d="M18 16h9M23 16v4M27 16v3" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/>
</svg>
`;

function isApiPath(url: string): boolean {
  return API_PREFIXES.some((prefix) => url === prefix.replace(/\/$/, '') || url.startsWith(prefix));
}

/**
 * Serves the web app (vendor console and customer portal, `packages/web`) built by Vite:
 * hashed files under `/assets/*` are cached for a year (their names change with their content);
 * `index.html` is revalidated on every load (`no-cache`) so a new build is picked up at once.
 * Any other GET that asks for HTML, outside the API's paths, gets `index.html` (the app routes in the
 * browser); everything else keeps the API's JSON 404. When the app is not built the server still runs
 * and answers a short page saying so.
 */
export async function registerWebApp(app: App, webDir: string = DEFAULT_WEB_DIR): Promise<void> {
  const assetsDir = path.join(webDir, 'assets');
  const indexFile = path.join(webDir, 'index.html');
  const route = { schema: { hide: true }, config: { access: { public: true } } } as const;

  const sendIndex = (reply: FastifyReply) => {
    // Checked per request (HTML loads are rare): a build made while the server runs is served at once.
    if (!existsSync(indexFile)) {
      return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html', webDir, { cacheControl: false });
  };

  await app.register(async (scope) => {
    // In a scope of its own: the docs UI registers @fastify/static too, and reply decorators must not clash.
    await scope.register(fastifyStatic, { root: webDir, serve: false, suppressWarning: true });

    scope.get<{ Params: { '*': string } }>('/assets/*', route, (request, reply) =>
      reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(request.params['*'], assetsDir, { cacheControl: false, dotfiles: 'deny' }),
    );

    scope.get('/', route, (_request, reply) => sendIndex(reply));

    for (const url of ['/favicon.ico', '/favicon.svg']) {
      scope.get(url, route, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG));
    }

    scope.get('/*', route, (request: FastifyRequest, reply) => {
      const url = request.url.split('?')[0]!;
      const wantsHtml = /\btext\/html\b/.test(request.headers.accept ?? '');
      if (!wantsHtml || isApiPath(url)) throw new AppError('NOT_FOUND', `No route for ${request.method} ${url}`);
      return sendIndex(reply);
    });
  });
}
