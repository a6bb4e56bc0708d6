import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, signIn, skipUnlessRunnable } from './browser.js';
import { partnerJourney } from './partner-journey.js';
import { setUpPartnerInConsole } from './partners-fixtures.js';

/**
 * Selling through a partner, end to end in the browser, the way issue 14 tells it: staff set up a product
 * group, a partner with rights on it and a contract in the console; the partner's admin chooses a password
 * from the link staff were shown, signs in at the same URL, creates a customer and a trial, converts it to a
 * paid license from the contract, runs into the quota and is told so in plain words.
 */

const j = journey();
const PASSWORD = 'reseller secret phrase';

test('staff set up a partner in the console; its admin signs in, sells from the contract and hits the quota', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, page } = j;
  const product = await factories.product(api, { name: 'Helix CAD' });
  await factories.policy(api, product.id, 'trial', { name: 'Helix trial', maxMachines: 1 });
  const paid = await factories.policy(api, product.id, 'timed', { name: 'Helix yearly', durationDays: 365, maxMachines: 2 });

  await j.signInStaff('owner', page);
  const setUp = await setUpPartnerInConsole({
    page,
    url,
    groupName: 'Helix family',
    productNames: ['Helix CAD'],
    partnerName: 'Northwind Resellers',
    rights: ['trials:create', 'licenses:create', 'customers:create'],
    user: { email: 'ola@northwind.example', role: 'partner-admin' },
    contract: { policyLabel: 'Helix CAD — Helix yearly', quantity: 1 },
  });
  assert.ok(setUp.contractId);

  // The partner admin: a fresh tab session, the one-time link, then sign-in at the one URL everyone uses.
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(setUp.passwordLink);
  await page.getByLabel(/New password/).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your password is set; sign in with it.').waitFor();
  await signIn(page, url + '/sign-in', 'ola@northwind.example', PASSWORD);
  await page.getByRole('heading', { name: 'Northwind Resellers', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/partner');

  const names = { customerName: 'Contoso Engineering', customerEmail: 'it@contoso.example', productName: 'Helix CAD', paidPolicyName: 'Helix yearly' };
  await partnerJourney(page, names);
  await screenshot(page, 'partner-sales-quota-exhausted');

  // What the server holds: the partner's customer, one license sold by it from the contract, nothing more.
  const customers = (await api.get(`/v1/customers?partnerId=${setUp.partnerId}`)).body.data;
  assert.deepEqual(
    customers.map((c: { name: string }) => c.name),
    ['Contoso Engineering'],
  );
  const licenses = (await api.get(`/v1/licenses?soldBy=${setUp.partnerId}&limit=100`)).body.data;
  assert.equal(licenses.length, 1, 'the refused creation left no license');
  const license = (await api.get(`/v1/licenses/${licenses[0].id}`)).body;
  assert.deepEqual([license.policyId, license.contractId, license.customerId, license.createdBy], [paid.id, setUp.contractId, customers[0].id, 'ola@northwind.example']);
  const contract = (await api.get(`/v1/contracts/${setUp.contractId}`)).body;
  assert.deepEqual([contract.used, contract.remaining, contract.status], [1, 0, 'exhausted']);
});
