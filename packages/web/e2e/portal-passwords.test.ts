import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, signIn, skipUnlessRunnable } from './browser.js';

/**
 * The password pages: "Forgot your password?" on sign-in asks for a reset link, the mailed link (the server
 * builds it from its public URL) opens /set-password in the web app, the new password works, the link once.
 */

const j = journey({ smtp: {}, page: { viewport: PHONE } });

test('a customer resets a forgotten password through the mailed link and signs in with the new one', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const customer = await factories.customer(api, { name: 'Umbrella plc' });
  const user = await factories.signedInUser(api, app.app, 'customer-member', customer.id);

  await page.goto(url + '/sign-in');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
  assert.ok(page.url().endsWith('/reset-password'), page.url());
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByText(`If an account uses ${user.email}, a link to set a new password is on its way`).waitFor();
  await screenshot(page, 'portal-reset-password');

  const link = await j.mailedPasswordLink(user.email);

  // The link as mailed opens the page.
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
  await page.getByLabel(/New password/).fill('a brand new secret');
  await page.getByLabel('Repeat the password').fill('a different secret');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('The two passwords differ').waitFor();
  await page.getByLabel('Repeat the password').fill('a brand new secret');
  await screenshot(page, 'portal-set-password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your password is set; sign in with it.').waitFor();
  assert.ok(page.url().endsWith('/sign-in'), page.url());

  // The old password no longer works; the new one does.
  const old = await client(app.app, undefined).post('/v1/auth/sign-in', { email: user.email, password: user.password });
  assert.equal(old.status, 401);
  await signIn(page, url + '/sign-in', user.email, 'a brand new secret');
  await page.getByRole('heading', { name: 'Umbrella plc: licenses' }).waitFor();

  // The link works once: a second use shows the API's message.
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(link);
  await page.getByLabel(/New password/).fill('yet another secret');
  await page.getByLabel('Repeat the password').fill('yet another secret');
  await page.getByRole('button', { name: 'Set password' }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  assert.match((await refusal.textContent()) ?? '', /This link is not valid.*\(TOKEN_INVALID\)/);
});
