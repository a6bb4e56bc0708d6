import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { client, factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, skipUnlessRunnable, type Journey } from './browser.js';
import { setUpPartnerInConsole } from './partners-fixtures.js';

/**
 * Selling through partners, staff side: product groups, a partner's rights matrix, its users and contracts
 * with quota bars, the "sold by" filter of the license list, and the partner report with its CSV.
 */

const j = journey({ page: { acceptDownloads: true } });

/** A partner user with a password, signed in through the API: how a partner's sales are made for the fixtures. */
async function partnerClient({ api, app }: Journey, partnerId: string) {
  const email = `seller-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = 'correct horse battery';
  const created = await api.post('/v1/users', { email, password, role: 'partner-member', partnerId });
  assert.equal(created.status, 201, created.raw);
  const signedIn = await client(app.app, undefined).post('/v1/auth/sign-in', { email, password });
  assert.equal(signedIn.status, 200, signedIn.raw);
  return client(app.app, signedIn.body.token);
}

test('staff: a product group, a partner with rights, a partner admin, a 20-license contract; the sold-by filter narrows the licenses', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, page } = j;
  const product = await factories.product(api, { name: 'Orbit Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { name: 'Standard', durationDays: 365 });
  await j.signInStaff('owner', page);

  const setUp = await setUpPartnerInConsole({
    page,
    url,
    groupName: 'Studio suite',
    productNames: ['Orbit Studio'],
    partnerName: 'Resell AG',
    partnerEmail: 'sales@resell.example',
    rights: ['trials:create', 'licenses:create'],
    user: { email: 'anna@resell.example', role: 'partner-admin' },
    contract: { policyLabel: 'Orbit Studio — Standard', quantity: 20 },
  });
  await screenshot(page, 'console-partner');

  // The server holds what was entered.
  const group = (await api.get(`/v1/product-groups/${setUp.groupId}`)).body;
  assert.equal(group.name, 'Studio suite');
  assert.deepEqual(group.productIds, [product.id]);
  const partner = (await api.get(`/v1/partners/${setUp.partnerId}`)).body;
  assert.equal(partner.name, 'Resell AG');
  assert.equal(partner.email, 'sales@resell.example');
  assert.deepEqual(partner.grants, [{ productGroupId: setUp.groupId, rights: ['trials:create', 'licenses:create'] }]);
  const users = (await api.get(`/v1/users?partnerId=${setUp.partnerId}`)).body.data;
  assert.deepEqual(users.map((u: any) => [u.email, u.role, u.partnerId]), [['anna@resell.example', 'partner-admin', setUp.partnerId]]);
  assert.ok(setUp.contractId);
  const contract = (await api.get(`/v1/contracts/${setUp.contractId}`)).body;
  assert.deepEqual(
    [contract.partnerId, contract.customerId, contract.policyId, contract.productGroupId, contract.unit, contract.quantity, contract.used, contract.status],
    [setUp.partnerId, null, policy.id, null, 'licenses', 20, 0, 'active'],
  );

  // Unticking a right saves the rest; the matrix shows what the server holds after a reload.
  await page.getByRole('checkbox', { name: 'trials:create on Studio suite' }).uncheck();
  await page.getByRole('button', { name: 'Save rights' }).click();
  await page.getByRole('status').filter({ hasText: 'Rights of Resell AG saved' }).waitFor();
  assert.deepEqual((await api.get(`/v1/partners/${setUp.partnerId}`)).body.grants, [{ productGroupId: setUp.groupId, rights: ['licenses:create'] }]);
  await page.reload();
  await page.getByRole('checkbox', { name: 'licenses:create on Studio suite' }).waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'licenses:create on Studio suite' }).isChecked(), true);
  assert.equal(await page.getByRole('checkbox', { name: 'trials:create on Studio suite' }).isChecked(), false);

  // A license drawn from the contract moves the quota bar; raising the quantity is saved.
  const customer = await factories.customer(api, { name: 'Globex', partnerId: setUp.partnerId });
  const asPartner = await partnerClient(j, setUp.partnerId);
  const sold = await asPartner.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, name: 'Globex seat', contractId: setUp.contractId });
  assert.equal(sold.status, 201, sold.raw);
  assert.equal(sold.body.soldBy, setUp.partnerId);
  await page.reload();
  const row = page.getByTestId(`contract-${setUp.contractId}`);
  await row.getByText('1 of 20 licenses used').waitFor();
  await row.getByLabel('New quantity of Orbit Studio — Standard').fill('30');
  await row.getByRole('button', { name: 'Set quantity of Orbit Studio — Standard' }).click();
  await row.getByText('1 of 30 licenses used').waitFor();
  assert.equal((await api.get(`/v1/contracts/${setUp.contractId}`)).body.quantity, 30);

  // The partner's customers are listed on its page.
  await page.getByRole('region', { name: 'Customers of Resell AG' }).getByRole('link', { name: 'Globex' }).waitFor();

  // Sold by: the partner's license, not the vendor's own.
  await factories.license(api, policy.id, { customerId: customer.id, name: 'Vendor seat' });
  await page.getByRole('link', { name: 'Licenses sold by Resell AG' }).click();
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('soldBy'), setUp.partnerId);
  const table = page.getByRole('region', { name: 'Licenses', exact: true });
  await table.getByRole('link', { name: 'Globex seat' }).waitFor();
  assert.equal(await table.getByRole('link', { name: 'Vendor seat' }).count(), 0);
  assert.equal(await page.getByLabel('Sold by').inputValue(), setUp.partnerId);
  // Cleared, both show; chosen in the select, the URL carries it again.
  await page.getByLabel('Sold by').selectOption('');
  await table.getByRole('link', { name: 'Vendor seat' }).waitFor();
  await table.getByRole('link', { name: 'Globex seat' }).waitFor();
  await page.getByLabel('Sold by').selectOption({ label: 'Resell AG' });
  await page.waitForURL((address) => address.searchParams.get('soldBy') === setUp.partnerId);
  await table.getByRole('link', { name: 'Vendor seat' }).waitFor({ state: 'detached' });

  // The license page names who sold it.
  await table.getByRole('link', { name: 'Globex seat' }).click();
  // The partner's name replaces its id once the partner is read.
  await page.getByTestId('license-sold-by').filter({ hasText: /^Resell AG$/ }).waitFor();
});

test("the partner report shows a partner's active subscription on a day, and its CSV answers", async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app } = j;
  const product = await factories.product(api, { name: 'Nimbus Cloud' });
  const yearly = await factories.policy(api, product.id, 'subscription', { name: 'Yearly', termMonths: 12, price: 12000, currency: 'EUR' });
  const group = await api.post('/v1/product-groups', { name: 'Cloud', productIds: [product.id] });
  assert.equal(group.status, 201, group.raw);
  const partner = await api.post('/v1/partners', { name: 'Cloud Partners', grants: [{ productGroupId: group.body.id, rights: ['licenses:create'] }] });
  assert.equal(partner.status, 201, partner.raw);
  const customer = await factories.customer(api, { name: 'Initech', partnerId: partner.body.id });
  const sold = await (await partnerClient(j, partner.body.id)).post('/v1/licenses', { policyId: yearly.id, customerId: customer.id, name: 'Initech cloud' });
  assert.equal(sold.status, 201, sold.raw);
  const day = app.clock.now().toISOString().slice(0, 10);

  const page = await j.newPage({ acceptDownloads: true });
  const { nav } = await j.signInStaff('read-only', page);
  await nav.getByRole('link', { name: 'Partner report' }).click();
  await page.getByRole('heading', { name: 'Partner report', level: 1 }).waitFor();
  await page.goto(`${url}/console/reports/partners?day=${day}&from=${day}&to=${day}&partnerId=${partner.body.id}`);
  const entry = page.getByTestId(`active-${partner.body.id}`);
  assert.equal(await entry.getByTestId('active-count').textContent(), '1');
  await entry.locator('summary').click();
  await entry.getByRole('link', { name: sold.body.id }).waitFor();
  await entry.getByRole('link', { name: 'Initech' }).waitFor();
  // Activity that day: one license created (no trial, no renewal yet).
  const activityRow = page.getByTestId('partner-activity').getByRole('row', { name: /Cloud Partners/ });
  await activityRow.waitFor();
  assert.deepEqual(await activityRow.getByRole('cell').allTextContents(), ['1', '0', '0', '—']);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download active subscriptions (CSV)' }).click()]);
  assert.equal(download.suggestedFilename(), `partner-active-subscriptions-${day}.csv`);
  const csv = await readFile((await download.path())!, 'utf8');
  assert.match(csv, new RegExp(sold.body.id));
  assert.match(csv, /Cloud Partners/);
  const [activity] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download activity (CSV)' }).click()]);
  assert.match(await readFile((await activity.path())!, 'utf8'), /Cloud Partners/);
  await screenshot(page, 'console-partner-report');
  await page.context().close();
});
