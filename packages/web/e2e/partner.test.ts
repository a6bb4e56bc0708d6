import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { accessibilityViolations, describeViolations, journey, screenshot, signIn, skipUnlessRunnable } from './browser.js';
import { partnerJourney } from './partner-journey.js';

/** The partner face: a partner admin signs in at /sign-in, lands on /partner and sells from its contract. */

const j = journey();
const PASSWORD = 'correct horse battery';

/** A product with trial and paid policies, a group, a partner with rights on it, a contract of one license, and a user. */
async function partnerWorld(role: 'partner-admin' | 'partner-member') {
  const { api } = j;
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
  const product = await factories.product(api, { name: `Nimbus ${stamp}` });
  await factories.policy(api, product.id, 'trial', { maxMachines: 1 });
  const paid = await factories.policy(api, product.id, 'timed', { name: 'Nimbus yearly', durationDays: 365, maxMachines: 3 });
  const group = await api.post('/v1/product-groups', { name: `Nimbus group ${stamp}`, productIds: [product.id] });
  assert.equal(group.status, 201, group.raw);
  const partner = await api.post('/v1/partners', { name: `Reseller ${stamp}`, grants: [{ productGroupId: group.body.id, rights: ['trials:create', 'licenses:create', 'customers:create'] }] });
  assert.equal(partner.status, 201, partner.raw);
  const contract = await api.post('/v1/contracts', { partnerId: partner.body.id, policyId: paid.id, unit: 'licenses', quantity: 1 });
  assert.equal(contract.status, 201, contract.raw);
  const email = `${role}-${stamp}@reseller.example`;
  const user = await api.post('/v1/users', { email, password: PASSWORD, role, partnerId: partner.body.id });
  assert.equal(user.status, 201, user.raw);
  return { product, paid, partner: partner.body, contract: contract.body, user: user.body, email, stamp };
}

test('a partner admin signs in, sees its quota, creates a customer and a trial, converts it from the contract, and is told when the contract is used up', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, page } = j;
  const world = await partnerWorld('partner-admin');
  await signIn(page, url + '/sign-in', world.email, PASSWORD);
  await page.getByRole('heading', { name: world.partner.name, level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/partner');
  await screenshot(page, 'partner-home');

  const names = { customerName: `Buyer ${world.stamp}`, customerEmail: `buyer-${world.stamp}@example.com`, productName: world.product.name, paidPolicyName: world.paid.name };
  await partnerJourney(page, names);
  await screenshot(page, 'partner-quota-exhausted');

  // What the server holds: the customer is the partner's; one license, converted from the trial, drawn from the contract.
  const customers = (await api.get(`/v1/customers?q=${encodeURIComponent(names.customerName)}`)).body.data;
  assert.equal(customers.length, 1);
  assert.equal(customers[0].partnerId, world.partner.id);
  const licenses = (await api.get(`/v1/licenses?customerId=${customers[0].id}&limit=100`)).body.data;
  assert.equal(licenses.length, 1, 'no second license was created');
  const license = (await api.get(`/v1/licenses/${licenses[0].id}`)).body;
  assert.deepEqual([license.policyId, license.contractId, license.soldBy], [world.paid.id, world.contract.id, world.partner.id]);
  assert.equal(license.createdBy, world.email, 'created by the partner user');
  const contract = (await api.get(`/v1/contracts/${world.contract.id}`)).body;
  assert.deepEqual([contract.used, contract.remaining, contract.status], [1, 0, 'exhausted']);
  const trials = (await api.get(`/v1/trials?customerId=${customers[0].id}`)).body.data;
  assert.equal(trials.length, 1);
  assert.equal(trials[0].convertedPolicyId, world.paid.id);

  // The partner pages pass the accessibility rules.
  const problems: string[] = [];
  for (const path of ['/partner', '/partner/customers', `/partner/customers/${customers[0].id}`, '/partner/licenses', `/partner/licenses/${license.id}`, '/partner/trials', '/partner/downloads', '/partner/report', '/partner/users']) {
    await page.goto(url + path);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);
    const violations = await accessibilityViolations(page);
    if (violations.length > 0) problems.push(describeViolations(path, violations));
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('a partner member has no Users page; a partner user cannot open the console or the portal (back to /partner)', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { url } = j;
  const world = await partnerWorld('partner-member');
  const page = await j.newPage();
  await signIn(page, url + '/sign-in', world.email, PASSWORD);
  await page.getByRole('heading', { name: world.partner.name, level: 1 }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Partner navigation' });
  await nav.getByRole('link', { name: 'Licenses' }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Report' }).count(), 0);
  await page.goto(url + '/partner/users');
  await page.getByRole('heading', { name: 'Not found' }).waitFor();

  for (const path of ['/console', '/console/licenses', '/portal', '/portal/downloads']) {
    await page.goto(url + path);
    await page.getByRole('heading', { name: world.partner.name, level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/partner', path);
  }
  await page.context().close();
});
