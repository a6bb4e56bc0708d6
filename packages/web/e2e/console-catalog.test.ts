import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, skipUnlessRunnable } from './browser.js';

/**
 * Editing the catalog and customers in the console: a product (trial preset, custom customers) and a
 * policy (made a subscription with its terms), deleting a product (refused while in use, done when not),
 * a customer's page (invite a customer admin, whose password link is mailed; change the role), the
 * dashboard's recent events and the events page filtered by action. Then a read-only user sees no
 * write buttons.
 */

const j = journey({ smtp: {} });

test('staff edits a product and a policy, deletes products, invites a customer user and reads the audit log', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, page } = j;
  const product = await factories.product(api, { name: 'Orbit Studio', code: 'orbit-studio' });
  const policy = await factories.policy(api, product.id, 'timed', { name: 'Annual', maxMachines: 3 });
  const customer = await factories.customer(api, { name: 'Acme GmbH', email: 'billing@acme.example' });
  await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme design team' });
  const unused = await factories.product(api, { name: 'Unused Tool', code: 'unused-tool' });

  const { nav } = await j.signInStaff('owner');

  // The product: trial lengths and preset, description, made for one customer.
  await nav.getByRole('link', { name: 'Products' }).click();
  // The products list, not the dashboard's recent events (which also link the product) while it goes.
  await page.getByRole('heading', { name: 'Products', level: 1 }).waitFor();
  await page.getByRole('table', { name: 'Products' }).getByRole('link', { name: 'Orbit Studio' }).click();
  await page.getByRole('heading', { name: 'Orbit Studio', level: 1 }).waitFor();
  const productForm = page.getByRole('form', { name: 'Edit product' });
  await productForm.getByLabel('Description').fill('Design suite for teams');
  await productForm.getByLabel('Trial lengths in days').fill('7, 14, 30');
  await productForm.getByLabel('Trial preset in days').fill('14');
  await productForm.getByLabel('Add a customer').selectOption({ label: 'Acme GmbH' });
  await productForm.getByRole('list', { name: 'Customers of this custom product' }).getByText('Acme GmbH').waitFor();
  await productForm.getByRole('button', { name: 'Save product' }).click();
  await productForm.getByRole('status').getByText('Saved.').waitFor();
  await page.getByTestId('product-trials').getByText('7, 14, 30 days; preset 14 days').waitFor();
  await page.getByTestId('product-customers').getByText('Acme GmbH').waitFor();
  const storedProduct = (await api.get(`/v1/products/${product.id}`)).body;
  assert.deepEqual(storedProduct.trialDurations, [7, 14, 30]);
  assert.equal(storedProduct.trialPreset, 14);
  assert.equal(storedProduct.description, 'Design suite for teams');
  assert.deepEqual(storedProduct.customerIds, [customer.id]);
  await screenshot(page, 'console-product-edit');

  // A preset outside the lengths: the API's validation message, not a raw body.
  await productForm.getByLabel('Trial preset in days').fill('21');
  await productForm.getByRole('button', { name: 'Save product' }).click();
  const invalid = (await productForm.getByRole('alert').textContent()) ?? '';
  assert.match(invalid, /trialPreset 21 must be one of trialDurations.*\(VALIDATION_FAILED\)/);
  assert.doesNotMatch(invalid, /[{}]/);
  assert.equal((await api.get(`/v1/products/${product.id}`)).body.trialPreset, 14, 'nothing saved');

  // Deleting it is refused while licenses (through its policy) use it; the dialog says why.
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete product Orbit Studio?' });
  await dialog.getByRole('button', { name: 'Delete product Orbit Studio' }).click();
  const refusal = (await dialog.getByRole('alert').textContent()) ?? '';
  assert.match(refusal, /still has policies.*\(CONFLICT\)/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await api.get(`/v1/products/${product.id}`)).status, 200);

  // The policy: made a two-year subscription aligned to the calendar year, with its terms.
  await page.getByRole('table', { name: 'Policies of the product' }).getByRole('link', { name: 'Annual' }).click();
  await page.getByRole('heading', { name: /Annual/, level: 1 }).waitFor();
  const policyForm = page.getByRole('form', { name: 'Edit policy' });
  assert.equal(await policyForm.getByLabel('Duration in days').inputValue(), '365');
  await policyForm.getByLabel('Kind').selectOption('subscription');
  assert.equal(await policyForm.getByLabel('Term in months').inputValue(), '12', 'a subscription starts from a yearly term');
  await policyForm.getByLabel('Term in months').fill('24');
  await policyForm.getByLabel('Grace days').fill('7');
  await policyForm.getByLabel('Machines').fill('5');
  await policyForm.getByLabel('Seat model').selectOption('floating');
  await policyForm.getByLabel('Heartbeat in seconds').fill('900');
  await policyForm.getByLabel('Features').fill('export, pro');
  await policyForm.getByLabel('Cancellation period in days').fill('30');
  await policyForm.getByLabel('Terms end on').selectOption('calendar-year');
  await policyForm.getByLabel('Renews automatically unless cancelled').uncheck();
  await policyForm.getByRole('spinbutton', { name: /^Price/ }).fill('199.00');
  await policyForm.getByLabel('Currency').fill('eur');
  await policyForm.getByRole('button', { name: 'Save policy' }).click();
  await policyForm.getByRole('status').getByText(/Saved/).waitFor();
  await page.getByTestId('policy-term').getByText('2 years, 7 grace days').waitFor();
  await page.getByTestId('policy-subscription').getByText(/does not renew by itself; cancel up to 30 days before term end; terms aligned to calendar-year/).waitFor();
  const storedPolicy = (await api.get(`/v1/policies/${policy.id}`)).body;
  assert.deepEqual(
    [storedPolicy.kind, storedPolicy.termMonths, storedPolicy.durationDays, storedPolicy.alignment, storedPolicy.cancellationNoticeDays, storedPolicy.autoRenew],
    ['subscription', 24, null, 'calendar-year', 30, false],
  );
  assert.deepEqual([storedPolicy.graceDays, storedPolicy.maxMachines, storedPolicy.floating, storedPolicy.heartbeatSeconds], [7, 5, true, 900]);
  assert.deepEqual(storedPolicy.features, ['export', 'pro']);
  assert.deepEqual([storedPolicy.price, storedPolicy.currency], [19900, 'EUR']);
  await screenshot(page, 'console-policy-edit');

  // A term the alignment cannot have: the API's field message.
  await policyForm.getByLabel('Term in months').fill('18');
  await policyForm.getByRole('button', { name: 'Save policy' }).click();
  assert.match((await policyForm.getByRole('alert').textContent()) ?? '', /termMonths must be a whole number of years.*\(VALIDATION_FAILED\)/);

  // An unused product is deleted after the confirmation.
  await page.goto(url + `/console/products/${unused.id}`);
  await page.getByRole('heading', { name: 'Unused Tool', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog', { name: 'Delete product Unused Tool?' }).getByRole('button', { name: 'Delete product Unused Tool' }).click();
  await page.getByRole('heading', { name: 'Products', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Orbit Studio' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Unused Tool' }).count(), 0);
  assert.equal((await api.get(`/v1/products/${unused.id}`)).status, 404);

  // The customer: its license, notes, and a customer admin invited (the password link is mailed).
  await nav.getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('link', { name: 'Acme GmbH' }).click();
  await page.getByRole('heading', { name: 'Acme GmbH', level: 1 }).waitFor();
  await page.getByRole('table', { name: 'Licenses of the customer' }).getByRole('link', { name: 'Acme design team' }).waitFor();
  await page.getByText('No portal users yet.').waitFor();
  const invite = page.getByRole('form', { name: 'Invite a user' });
  await invite.getByLabel('E-mail').fill('it@acme.example');
  await invite.getByLabel('Name').fill('Ida Admin');
  await invite.getByLabel('Role').selectOption('customer-admin');
  await invite.getByRole('button', { name: 'Invite' }).click();
  await invite.getByRole('status').getByText(/Invited it@acme\.example: a link to choose a password is on its way/).waitFor();
  await page.getByTestId('user-state-it@acme.example').getByText('invited (no password yet)').waitFor();
  await j.mailedPasswordLink('it@acme.example');
  const invited = (await api.get(`/v1/users?customerId=${customer.id}`)).body.data;
  assert.deepEqual(
    invited.map((u: any) => [u.email, u.role, u.name]),
    [['it@acme.example', 'customer-admin', 'Ida Admin']],
  );

  // The role changes from the table.
  await page.getByLabel('Role of it@acme.example').selectOption('customer-member');
  await page.getByRole('status').getByText('it@acme.example is now customer-member.').waitFor();
  assert.equal((await api.get(`/v1/users/${invited[0].id}`)).body.role, 'customer-member');

  const customerForm = page.getByRole('form', { name: 'Edit customer' });
  await customerForm.getByLabel('Notes').fill('Key account, renews in spring');
  await customerForm.getByRole('button', { name: 'Add a contact' }).click();
  await customerForm.getByLabel('Contact name').fill('Carla Buyer');
  await customerForm.getByLabel('Contact e-mail').fill('carla@acme.example');
  await customerForm.getByRole('button', { name: 'Save customer' }).click();
  await customerForm.getByRole('status').getByText('Saved.').waitFor();
  const storedCustomer = (await api.get(`/v1/customers/${customer.id}`)).body;
  assert.equal(storedCustomer.notes, 'Key account, renews in spring');
  assert.deepEqual(storedCustomer.contacts, [{ name: 'Carla Buyer', email: 'carla@acme.example' }]);
  await screenshot(page, 'console-customer');

  // The dashboard lists the latest changes, linked to their pages.
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  const recent = page.getByTestId('recent-events');
  await recent.getByText('customer.updated').waitFor();
  const recentText = (await recent.textContent()) ?? '';
  for (const action of ['user.updated', 'user.password_link_sent', 'user.created']) {
    assert.ok(recentText.includes(action), `the dashboard shows ${action}: ${recentText}`);
  }
  assert.equal(await recent.locator('li').count(), 8);
  assert.equal(await recent.getByRole('link', { name: 'Unused Tool' }).count(), 0, 'a deleted record has no page to link to');
  await recent.getByRole('link', { name: 'it@acme.example' }).first().click();
  await page.getByRole('heading', { name: 'Acme GmbH', level: 1 }).waitFor();

  // The events page, filtered by action; a row's details read as a list of changes.
  await nav.getByRole('link', { name: 'Events' }).click();
  await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
  await page.getByTestId('events').getByRole('link', { name: 'it@acme.example' }).first().waitFor();
  const filters = page.getByRole('form', { name: 'Filter events' });
  await filters.getByLabel('Action').fill('product.*');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/action=product\.\*/);
  const rows = page.getByTestId('events').locator('tbody tr');
  // The unfiltered page stays on screen until the filtered answer replaces it: wait for that answer.
  const codes = page.getByTestId('events').locator('tbody td code');
  await page.waitForFunction(
    () => {
      const shown = Array.from(document.querySelectorAll('[data-testid="events"] tbody td code'), (c) => c.textContent ?? '');
      return shown.length > 0 && shown.every((action) => action.startsWith('product.'));
    },
    undefined,
    { timeout: 15_000 },
  );
  const actions = await codes.allTextContents();
  assert.deepEqual(actions, ['product.deleted', 'product.updated', 'product.created', 'product.created'], 'only product events, newest first');
  await rows.nth(1).getByRole('button', { name: /Details/ }).click();
  const details = page.locator('.event-details');
  await details.getByText('trialPreset: 30 → 14').waitFor();
  assert.doesNotMatch((await details.textContent()) ?? '', /[{}]/, 'no raw JSON');
  await screenshot(page, 'console-events');

  // An exact action and a subject type narrow it further.
  await filters.getByLabel('Action').fill('user.updated');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/action=user\.updated/);
  await page.getByTestId('events').getByRole('link', { name: 'it@acme.example' }).waitFor();
  assert.deepEqual(await page.getByTestId('events').locator('tbody td code').allTextContents(), ['user.updated']);

  // A date range after today: nothing; clearing the filters shows everything again.
  await filters.getByLabel('From', { exact: true }).fill('2099-01-01');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('No events match.').waitFor();
  assert.match(page.url(), /from=2099-01-01/);
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByTestId('events').locator('code', { hasText: 'customer.updated' }).waitFor();
});

test('a read-only user sees the catalog without its write buttons', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url } = j;
  const product = await factories.product(api, { name: 'Read Only Product' });
  const customer = await factories.customer(api, { name: 'Readers Ltd' });
  const phone = await j.newPage({ viewport: PHONE });
  try {
    await j.signInStaff('read-only', phone);
    await phone.goto(url + '/console/products');
    await phone.getByRole('link', { name: 'Read Only Product' }).waitFor();
    assert.equal(await phone.getByRole('form', { name: 'New product' }).count(), 0);
    await phone.goto(url + `/console/products/${product.id}`);
    await phone.getByRole('heading', { name: 'Read Only Product', level: 1 }).waitFor();
    assert.equal(await phone.getByRole('form', { name: 'Edit product' }).count(), 0);
    assert.equal(await phone.getByRole('button', { name: 'Delete' }).count(), 0);
    await phone.goto(url + `/console/customers/${customer.id}`);
    await phone.getByRole('heading', { name: 'Readers Ltd', level: 1 }).waitFor();
    await phone.getByRole('heading', { name: 'Licenses' }).waitFor();
    assert.equal(await phone.getByRole('form', { name: 'Edit customer' }).count(), 0);
    assert.equal(await phone.getByRole('heading', { name: 'Users' }).count(), 0, 'read-only staff cannot list users');
    await phone.goto(url + '/console/policies');
    await phone.getByRole('heading', { name: 'Policies', level: 1 }).waitFor();
    assert.equal(await phone.getByRole('form', { name: 'New policy' }).count(), 0);
  } finally {
    await phone.context().close();
  }
});
