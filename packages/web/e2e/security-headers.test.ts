import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { factories } from '../../server/src/testing/harness.js';
import { cannotRun, cspViolations, launchBrowser, signIn, skipUnlessRunnable, startWebServer, type WebServer } from './browser.js';

/**
 * The server's Content-Security-Policy in a real browser: the API documentation (Swagger UI, its own
 * policy) renders its operations, and the console's mail preview (a sandboxed srcdoc iframe, which
 * inherits the console's policy) renders the mail; Chromium reports nothing blocked. A policy that broke
 * either would pass the header checks of the server's tests and still fail here.
 */

let server: WebServer | undefined;
let browser: Browser | undefined;

before(async () => {
  if (cannotRun()) return;
  server = await startWebServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the /docs UI and the console mail preview work under the policy, with no CSP violation', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const blocked = cspViolations(page);

  const docs = await page.goto(server!.url + '/docs');
  assert.match(String(docs?.headers()['content-security-policy']), /frame-ancestors 'none'/);
  // Swagger UI lists the operations once its scripts ran and it fetched the OpenAPI document.
  await page.locator('.opblock-summary-path').first().waitFor({ timeout: 15_000 }).catch((error: unknown) => {
    throw new Error(`the docs UI did not render (blocked: ${blocked.join(' | ') || 'nothing'}): ${String(error)}`);
  });

  const owner = await factories.signedInUser(server!.api, server!.t.app, 'owner');
  await signIn(page, server!.url + '/sign-in', owner.email, owner.password);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.goto(server!.url + '/console/mail/templates/license.issued');
  await page.getByRole('heading', { name: 'license.issued' }).waitFor();
  await page.frameLocator('iframe[title="HTML preview"]').getByRole('heading', { name: 'Your Photon Studio license' }).waitFor();

  assert.deepEqual(blocked, [], 'nothing blocked by the Content-Security-Policy');
  await page.close();
});
