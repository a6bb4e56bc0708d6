import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, startTestApp, testDialects, type TestApp } from '../testing/harness.js';

// Headers do not depend on the database: SQLite only.
const dialect = testDialects()[0]!;

/** The directives of a Content-Security-Policy header by name. */
function directives(header: unknown): Map<string, string[]> {
  assert.equal(typeof header, 'string', 'a Content-Security-Policy header');
  return new Map(
    (header as string)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

test('every kind of answer carries CSP, no framing, nosniff and no-referrer: the app, an asset, /docs, the API, errors', async (t) => {
  const webDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-web-'));
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Keyhaven</title><div id="root"></div><script type="module" src="/assets/index-abc.js"></script>');
  writeFileSync(path.join(webDir, 'assets', 'index-abc.js'), 'console.log("app")');
  let app: TestApp | undefined;
  t.after(async () => {
    await app?.close();
    rmSync(webDir, { recursive: true, force: true });
  });
  app = await startTestApp(dialect, { webDir });
  const html = { accept: 'text/html' };
  const answers = {
    index: await app.app.inject({ method: 'GET', url: '/', headers: html }),
    'deep link with a token': await app.app.inject({ method: 'GET', url: '/set-password?token=khpw_x', headers: html }),
    asset: await app.app.inject({ method: 'GET', url: '/assets/index-abc.js' }),
    docs: await app.app.inject({ method: 'GET', url: '/docs' }),
    'docs page': await app.app.inject({ method: 'GET', url: '/docs/' }),
    'docs script': await app.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' }),
    'api answer': await app.app.inject({ method: 'GET', url: '/v1/products', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    'signed client answer': await app.app.inject({ method: 'GET', url: '/v1/public-key' }),
    'api error': await app.app.inject({ method: 'GET', url: '/v1/products' }),
    'api 404': await app.app.inject({ method: 'GET', url: '/v1/nothing-here' }),
    'bad url': await app.app.inject({ method: 'GET', url: '/v1/products/%E0%A4%A' }),
    health: await app.app.inject({ method: 'GET', url: '/health' }),
  };
  for (const [name, res] of Object.entries(answers)) {
    assert.ok(res.statusCode < 500, `${name}: ${res.statusCode}`);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', name);
    assert.equal(res.headers['x-frame-options'], 'DENY', name);
    assert.equal(res.headers['referrer-policy'], 'no-referrer', name);
    const csp = directives(res.headers['content-security-policy']);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], name);
    assert.deepEqual(csp.get('object-src'), ["'none'"], name);
    // No inline or evaluated script anywhere: an injected <script> or onclick= does not run.
    const scripts = csp.get('script-src') ?? csp.get('default-src')!;
    assert.ok(!scripts.includes("'unsafe-inline'") && !scripts.includes("'unsafe-eval'") && !scripts.includes('*'), `${name}: ${scripts.join(' ')}`);
  }
  assert.equal(answers.index.statusCode, 200);
  assert.equal(answers.docs.statusCode === 200 || answers.docs.statusCode === 302, true, `docs: ${answers.docs.statusCode}`);
  assert.equal(answers['docs page'].statusCode, 200);
  // The docs UI keeps working: its page loads only scripts from /docs/static, which the policy allows.
  for (const src of answers['docs page'].body.matchAll(/<script src="([^"]+)"/g)) assert.ok(src[1]!.startsWith('./static/') || src[1]!.startsWith('/docs/static/'), src[1]);
  assert.doesNotMatch(answers['docs page'].body, /<script>(?!\s*<\/script>)|<script [^>]*>[^<\s]/, 'no inline script the policy would block');
  assert.doesNotMatch(String(answers.docs.headers['content-security-policy']), /upgrade-insecure-requests/, 'docs work over plain http');
});
