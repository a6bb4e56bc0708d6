import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestApp, testDialects, type TestApp } from '../testing/harness.js';

/** Serving the web app: caching of hashed assets and index.html, the SPA fallback, and a server without a build. */

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
// The serving does not depend on the database: SQLite only.
const dialect = testDialects()[0]!;

test('a built web app is served with the right caching, and API paths keep their JSON 404', async (t) => {
  const webDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-web-'));
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Keyhaven test build</title><div id="root"></div>');
  writeFileSync(path.join(webDir, 'assets', 'index-abc123.js'), 'console.log("app")');
  let app: TestApp | undefined;
  t.after(async () => {
    await app?.close();
    rmSync(webDir, { recursive: true, force: true });
  });
  app = await startTestApp(dialect, { webDir });
  const get = (url: string, headers: Record<string, string> = {}) => app!.app.inject({ method: 'GET', url, headers });

  const index = await get('/', HTML);
  assert.equal(index.statusCode, 200);
  assert.match(index.headers['content-type'] as string, /text\/html/);
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.match(index.body, /Keyhaven test build/);

  const asset = await get('/assets/index-abc123.js');
  assert.equal(asset.statusCode, 200);
  assert.match(asset.headers['content-type'] as string, /javascript/);
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(asset.body, 'console.log("app")');

  // The app's own routes, deep links included, answer index.html to a browser.
  for (const url of ['/console/licenses/lic_123', '/portal', '/sign-in?next=1']) {
    const page = await get(url, HTML);
    assert.equal(page.statusCode, 200, url);
    assert.match(page.body, /Keyhaven test build/, url);
    assert.equal(page.headers['cache-control'], 'no-cache', url);
  }

  // The API, its docs and a missing asset never get the app: JSON NOT_FOUND, even to a browser.
  for (const url of ['/v1/no-such-thing', '/v1/licenses/x/y/z', '/openapi.json/x', '/health/x', '/assets/missing.js']) {
    const res = await get(url, HTML);
    assert.equal(res.statusCode, 404, url);
    assert.equal(JSON.parse(res.body).error.code, 'NOT_FOUND', url);
  }
  // No way out of the assets directory.
  const escape = await get('/assets/..%2f..%2fpackage.json');
  assert.ok([403, 404].includes(escape.statusCode), String(escape.statusCode));
  assert.doesNotMatch(escape.body, /"name"\s*:/);
  // A client that does not ask for HTML gets the JSON 404 outside the API too.
  const json = await get('/console/licenses', { accept: 'application/json' });
  assert.equal(json.statusCode, 404);
  assert.equal(JSON.parse(json.body).error.code, 'NOT_FOUND');
  // Other methods are not the web app's.
  const post = await app.app.inject({ method: 'POST', url: '/console', headers: HTML, payload: {} });
  assert.equal(post.statusCode, 404);
  assert.equal(JSON.parse(post.body).error.code, 'NOT_FOUND');
  // The API itself is unaffected.
  assert.equal((await get('/health')).statusCode, 200);
});

test('without a build the server starts and / says the web app is not built', async (t) => {
  const webDir = path.join(os.tmpdir(), `keyhaven-no-web-${process.pid}-${Date.now()}`);
  let app: TestApp | undefined;
  t.after(async () => app?.close());
  app = await startTestApp(dialect, { webDir });
  const page = await app.app.inject({ method: 'GET', url: '/', headers: HTML });
  assert.equal(page.statusCode, 503);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.match(page.body, /web app is not built/);
  assert.match(page.body, /npm run build/);
  const deep = await app.app.inject({ method: 'GET', url: '/console', headers: HTML });
  assert.equal(deep.statusCode, 503);
  assert.equal((await app.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  assert.equal((await app.app.inject({ method: 'GET', url: '/assets/index.js' })).statusCode, 404);
});


test('the favicon: /favicon.ico and /favicon.svg answer the SVG icon with or without a build; index.html links it', async (t) => {
  const webDir = path.join(os.tmpdir(), `keyhaven-no-web-icon-${process.pid}-${Date.now()}`);
  const app = await startTestApp(dialect, { webDir });
  t.after(() => app.close());
  for (const url of ['/favicon.ico', '/favicon.svg']) {
    const res = await app.app.inject({ method: 'GET', url, headers: { accept: 'image/avif,image/webp,image/*,*/*;q=0.8' } });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['content-type'], 'image/svg+xml', url);
    assert.equal(res.headers['cache-control'], 'public, max-age=86400', url);
    assert.match(res.body, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/, url);
  }
  const source = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/index.html'), 'utf8');
  assert.match(source, /<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml" \/>/);
});
