import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, skipUnlessRunnable, type TestUser } from './browser.js';

/**
 * Issue 12 items 10 and 11: changing one's own password in the console and in the portal, and the
 * one-time set-password link staff are shown when no SMTP server is configured (this server has none).
 */

const j = journey();

async function changeOwnPassword(who: TestUser, face: 'console' | 'portal') {
  const { page } = j;
  await page.getByRole('link', { name: 'Change password' }).click();
  await page.getByRole('heading', { name: 'Change password' }).waitFor();
  assert.ok(page.url().endsWith(`/${face}/password`), page.url());

  // A wrong current password: the API's message and code show, and the user stays signed in.
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel(/^New password/).fill('a fresh passphrase');
  await page.getByLabel('Repeat the new password').fill('a fresh passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('The current password is wrong (CURRENT_PASSWORD_WRONG)').waitFor();
  assert.ok(page.url().endsWith(`/${face}/password`), 'still signed in, on the page');

  // Two different new passwords are caught before sending.
  await page.getByLabel('Current password').fill(who.password);
  await page.getByLabel('Repeat the new password').fill('a different passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('The two new passwords differ').waitFor();

  await page.getByLabel(/^New password/).fill('a fresh passphrase');
  await page.getByLabel('Repeat the new password').fill('a fresh passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Your password was changed.').waitFor();
  await screenshot(page, `${face}-change-password`);

  const anon = client(j.app.app, undefined);
  assert.equal((await anon.post('/v1/auth/sign-in', { email: who.email, password: who.password })).status, 401, 'the old password is gone');
  assert.equal((await anon.post('/v1/auth/sign-in', { email: who.email, password: 'a fresh passphrase' })).status, 200, 'the new one works');
}

test('a staff user changes its own password in the console', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { user: staff } = await j.signInStaff('support');
  await changeOwnPassword(staff, 'console');
  await j.page.evaluate(() => sessionStorage.clear());
});

test('a customer user changes its own password in the portal', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, page } = j;
  const customer = await factories.customer(api, { name: 'Initech' });
  const member = await j.signInCustomer('customer-member', customer.id);
  await page.getByRole('heading', { name: 'Initech: licenses' }).waitFor();
  await changeOwnPassword(member, 'portal');
  await page.evaluate(() => sessionStorage.clear());
});

test('without SMTP, an admin is shown a one-time link for an invited user, once, and the link works', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const invited = (await api.post('/v1/users', { email: `invited-${Date.now()}@example.com`, role: 'sales' })).body;
  await j.signInStaff('admin');
  await page.goto(url + '/console/users');
  await page.getByRole('button', { name: `Show link for ${invited.email}` }).click();
  const shown = page.getByTestId('secret-once');
  await shown.waitFor();
  const link = (await shown.textContent())!.trim();
  assert.match(link, new RegExp(`^${url.replace(/[.:/]/g, '\\$&')}/set-password\\?token=khpw_`));
  await page.getByRole('button', { name: 'Copy link' }).waitFor();
  await screenshot(page, 'console-password-link-shown');
  await page.getByRole('button', { name: 'I have stored it' }).click();
  assert.equal(await page.getByTestId('secret-once').count(), 0, 'gone once dismissed');
  // Nothing was mailed (nor held): the link exists only where it was shown.
  assert.equal((await api.get(`/v1/outbox?to=${encodeURIComponent(invited.email)}`)).body.data.length, 0);

  await page.evaluate(() => sessionStorage.clear());
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
  await page.getByLabel(/New password/).fill('invited and in');
  await page.getByLabel('Repeat the password').fill('invited and in');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your password is set; sign in with it.').waitFor();
  assert.equal((await client(app.app, undefined).post('/v1/auth/sign-in', { email: invited.email, password: 'invited and in' })).status, 200);
});
