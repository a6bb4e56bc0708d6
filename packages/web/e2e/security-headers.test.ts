import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cspViolations, journey, skipUnlessRunnable } from './browser.js';

/**
 * The server's Content-Security-Policy in a real browser: the API documentation (Swagger UI, its own
 * policy) renders its operations, and the console's mail preview (a sandboxed srcdoc iframe, which
 * inherits the console's policy) renders the mail; Chromium reports nothing blocked. A policy that broke
 * either would pass the header checks of the server's tests and still fail here.
 */

const j = journey();

test('the /docs UI and the console mail preview work under the policy, with no CSP violation', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { url, page } = j;
  const blocked = cspViolations(page);

  const docs = await page.goto(url + '/docs');
  assert.match(String(docs?.headers()['content-security-policy']), /frame-ancestors 'none'/);
  // Swagger UI lists the operations once its scripts ran and it fetched the OpenAPI document.
  await page.locator('.opblock-summary-path').first().waitFor({ timeout: 15_000 }).catch((error: unknown) => {
    throw new Error(`the docs UI did not render (blocked: ${blocked.join(' | ') || 'nothing'}): ${String(error)}`);
  });

  await j.signInStaff('owner');
  await page.goto(url + '/console/mail/templates/license.issued');
  await page.getByRole('heading', { name: 'license.issued' }).waitFor();
  await page.frameLocator('iframe[title="HTML preview"]').getByRole('heading', { name: 'Your Photon Studio license' }).waitFor();

  assert.deepEqual(blocked, [], 'nothing blocked by the Content-Security-Policy');
});
