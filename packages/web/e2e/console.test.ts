import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, signIn, skipUnlessRunnable } from './browser.js';

/** The vendor console: a staff member signs in and sets up a product, a policy, a customer and a license, then suspends it. */

const j = journey();

test('staff: sign in, create a product, policy, customer and license, see the license and suspend it', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const owner = await factories.signedInUser(api, app.app, 'owner');

  // Not signed in: the app sends the browser to sign-in; a wrong password is a readable message.
  await page.goto(url + '/console/licenses');
  await page.getByRole('heading', { name: 'Sign in to Keyhaven' }).waitFor();
  await screenshot(page, 'sign-in');
  await signIn(page, url + '/sign-in', owner.email, 'not the password');
  const wrong = await page.getByRole('alert').textContent();
  assert.match(wrong ?? '', /\(UNAUTHENTICATED\)|\(UNAUTHORIZED\)|password/i);
  assert.doesNotMatch(wrong ?? '', /[{}]/, 'no raw JSON');

  await signIn(page, url + '/sign-in', owner.email, owner.password);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  assert.equal(await page.getByTestId('count-active').textContent(), '0');
  await screenshot(page, 'console-dashboard');

  const nav = page.getByRole('navigation', { name: 'Console navigation' });

  // A product.
  await nav.getByRole('link', { name: 'Products' }).click();
  await page.getByRole('heading', { name: 'Products', level: 1 }).waitFor();
  await page.getByText('No products yet').waitFor();
  const products = page.getByRole('form', { name: 'New product' });
  await products.getByLabel('Name', { exact: true }).fill('Orbit Studio');
  await products.getByLabel('Code').fill('orbit-studio');
  await products.getByRole('button', { name: 'Create product' }).click();
  await page.getByRole('cell', { name: 'Orbit Studio' }).waitFor();
  // The same code again: the API's message, with its code, not a raw body.
  await products.getByLabel('Name', { exact: true }).fill('Orbit Studio again');
  await products.getByLabel('Code').fill('orbit-studio');
  await products.getByRole('button', { name: 'Create product' }).click();
  const conflict = await products.getByRole('alert').textContent();
  assert.match(conflict ?? '', /\(CONFLICT\)/);
  assert.doesNotMatch(conflict ?? '', /[{}]/);
  await screenshot(page, 'console-products');

  // A policy for it.
  await nav.getByRole('link', { name: 'Policies' }).click();
  const policies = page.getByRole('form', { name: 'New policy' });
  await policies.getByLabel('Product').selectOption({ label: 'Orbit Studio' });
  await policies.getByLabel('Name', { exact: true }).fill('Annual');
  await policies.getByLabel('Kind').selectOption('timed');
  await policies.getByLabel('Duration in days').fill('365');
  await policies.getByLabel('Machines').fill('3');
  await policies.getByRole('button', { name: 'Create policy' }).click();
  await page.getByRole('cell', { name: 'Annual' }).waitFor();
  await screenshot(page, 'console-policies');

  // A customer.
  await nav.getByRole('link', { name: 'Customers' }).click();
  const customers = page.getByRole('form', { name: 'New customer' });
  await customers.getByLabel('Organization name').fill('Acme GmbH');
  await customers.getByLabel('Billing e-mail').fill('billing@acme.example');
  await customers.getByRole('button', { name: 'Create customer' }).click();
  await page.getByRole('cell', { name: 'Acme GmbH' }).waitFor();
  await screenshot(page, 'console-customers');

  // A license: created from the licenses page, then its detail page shows the key once.
  await nav.getByRole('link', { name: 'Licenses' }).click();
  await page.getByText('No licenses match').waitFor();
  await page.getByText('New license').click();
  const licenses = page.getByRole('form', { name: 'New license' });
  await licenses.getByLabel('Policy').selectOption({ label: 'Orbit Studio — Annual' });
  await licenses.getByRole('combobox', { name: /^Customer/ }).selectOption({ label: 'Acme GmbH' });
  await licenses.getByLabel('Name').fill('Acme design team');
  await licenses.getByRole('button', { name: 'Create license' }).click();
  await page.getByRole('heading', { name: /Acme design team/ }).waitFor();
  const key = (await page.getByTestId('license-key').textContent()) ?? '';
  const licenseId = page.url().split('/').pop()!;
  const stored = await api.get(`/v1/licenses/${licenseId}`);
  assert.equal(stored.status, 200);
  assert.equal(stored.body.name, 'Acme design team');
  assert.ok(key.endsWith(stored.body.keyHint), 'the key shown is the license key');
  assert.equal(await page.getByTestId('license-status').textContent(), 'active');
  await page.getByText('0 of 3').waitFor();
  await page.getByText('No machine is activated').waitFor();
  await screenshot(page, 'console-license');

  // Suspend it: the page and the API agree.
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('button', { name: 'Reinstate' }).waitFor();
  assert.equal(await page.getByTestId('license-status').textContent(), 'suspended');
  assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.status, 'suspended');
  await screenshot(page, 'console-license-suspended');

  // The list filtered by status finds it; the dashboard counts it.
  await page.goto(url + '/console/licenses?status=suspended');
  await page.getByRole('link', { name: 'Acme design team' }).waitFor();
  await page.goto(url + '/console/licenses?status=active');
  await page.getByText('No licenses match').waitFor();
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByTestId('count-suspended').getByText('1').waitFor();
  await screenshot(page, 'console-licenses');

  // A session that ends (signed out elsewhere) leads back to sign-in on the next call.
  const token = await page.evaluate(() => sessionStorage.getItem('keyhaven.session'));
  assert.ok(token);
  await fetch(url + '/v1/auth/sign-out', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  await nav.getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('heading', { name: 'Sign in to Keyhaven' }).waitFor();
  await page.getByText('Your session ended').waitFor();
});
