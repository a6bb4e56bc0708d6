import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { factories } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, skipUnlessRunnable } from './browser.js';

/**
 * Licensing in the console and the portal: one-click trials (create, extend by a preset, convert),
 * upgrades (features, seats, policy), subscription cancel/resume by staff and by a customer admin.
 */

const DAY = 86_400_000;
const j = journey();

/** A date as the app formats it, in the browser's locale. */
const shownDate = (page: Page, iso: string) =>
  page.evaluate((value) => new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(value)), iso);

test('staff: one-click 30-day trial, extend by a preset, convert; upgrade a license; cancel and resume a subscription', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app } = j;
  const now = app.clock.now().getTime();
  const product = await factories.product(api, { name: 'Orbit Studio' });
  await factories.policy(api, product.id, 'trial', { name: 'Trial', maxMachines: 1 });
  const standard = await factories.policy(api, product.id, 'timed', { name: 'Standard', durationDays: 365, maxMachines: 2, features: ['core'] });
  const pro = await factories.policy(api, product.id, 'timed', { name: 'Pro', durationDays: 365, maxMachines: 10, features: ['core', 'raw', 'batch'] });
  const yearly = await factories.policy(api, product.id, 'subscription', { name: 'Yearly', termMonths: 12, cancellationNoticeDays: 30 });
  const acme = await factories.customer(api, { name: 'Acme GmbH', email: 'billing@acme.example' });
  const page = await j.newPage();
  const { nav } = await j.signInStaff('owner', page);
  await nav.getByRole('link', { name: 'Trials' }).click();
  await page.getByRole('heading', { name: 'Trials', level: 1 }).waitFor();
  await page.getByText('No trials match').waitFor();

  // One click: the product's presets are the buttons; 30 is the default.
  const form = page.getByRole('form', { name: 'New trial' });
  await form.getByLabel('Product').selectOption({ label: 'Orbit Studio' });
  await form.getByLabel('Customer').selectOption({ label: 'Acme GmbH' });
  for (const days of [5, 30, 60, 90]) await form.getByRole('button', { name: `Start a trial of ${days} days` }).waitFor();
  await form.getByRole('button', { name: 'Start a trial of 30 days' }).click();
  const key = (await page.getByTestId('trial-key').textContent()) ?? '';
  assert.match(key, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){5}$/);
  const trials = await api.get('/v1/trials');
  assert.equal(trials.body.data.length, 1);
  const trial = trials.body.data[0];
  assert.equal(trial.days, 30);
  assert.equal(trial.customerId, acme.id);
  const issued = (await api.get(`/v1/licenses/${trial.licenseId}`)).body;
  assert.equal(issued.type, 'trial');
  assert.ok(key.endsWith(issued.keyHint));
  assert.ok(Math.abs(new Date(issued.expiresAt).getTime() - (now + 30 * DAY)) < 5 * 60_000, issued.expiresAt);
  const row = page.getByTestId(`trial-${trial.licenseId}`);
  await row.getByText('billing@acme.example').waitFor();
  await row.getByTestId('trial-ends').getByText(await shownDate(page, issued.expiresAt)).waitFor();

  // Extend by the 60-day preset: the row shows the new end, as the API has it.
  await row.getByRole('button', { name: /by 60 days/ }).click();
  await page.getByRole('status').filter({ hasText: 'extended by 60 days' }).waitFor();
  const extended = (await api.get(`/v1/licenses/${trial.licenseId}`)).body;
  assert.ok(Math.abs(new Date(extended.expiresAt).getTime() - (now + 90 * DAY)) < 5 * 60_000, extended.expiresAt);
  assert.equal(await row.getByTestId('trial-ends').textContent(), await shownDate(page, extended.expiresAt));
  assert.equal((await api.get('/v1/trials')).body.data[0].days, 90);

  // Convert to the Pro policy: same license (same key), now paid.
  await row.getByRole('button', { name: 'Convert…' }).click();
  const convert = page.getByRole('form', { name: 'Convert trial' });
  await convert.getByLabel('Paid policy').selectOption({ label: 'Pro (timed)' });
  await convert.getByRole('button', { name: 'Convert to paid' }).click();
  await page.getByRole('status').filter({ hasText: 'is now a paid license' }).waitFor();
  assert.match((await row.getByTestId('trial-converted').textContent()) ?? '', /Pro/);
  const converted = (await api.get(`/v1/licenses/${trial.licenseId}`)).body;
  assert.equal(converted.policyId, pro.id);
  assert.notEqual(converted.type, 'trial');
  assert.equal(converted.keyHint, issued.keyHint);
  assert.ok((await api.get('/v1/trials?converted=true')).body.data.length === 1);
  await screenshot(page, 'console-trials');

  // Upgrade a Standard license: a feature, a seat pack, then the Pro policy.
  const license = await factories.license(api, standard.id, { customerId: acme.id, name: 'Acme design team' });
  await page.goto(`${url}/console/licenses/${license.id}`);
  await page.getByRole('heading', { name: /Acme design team/ }).waitFor();
  assert.equal(await page.getByTestId('license-features').textContent(), 'core');
  const upgrade = page.getByRole('region', { name: 'Upgrade' });
  // The upgrade forms are folded: the page stays short until one is opened.
  assert.equal(await upgrade.getByLabel('Features to add').isVisible(), false, 'folded at first');
  await upgrade.locator('summary', { hasText: 'Add features' }).click();
  await upgrade.getByRole('form', { name: 'Add features' }).getByLabel('Features to add').fill('raw');
  await upgrade.getByRole('button', { name: 'Add features' }).click();
  await page.getByTestId('license-features').getByText('core, raw').waitFor();
  assert.deepEqual((await api.get(`/v1/licenses/${license.id}`)).body.features, ['core', 'raw']);
  await upgrade.locator('summary', { hasText: 'Add seats' }).click();
  await upgrade.getByLabel(/Seats to add/).fill('3');
  await upgrade.getByRole('button', { name: 'Add seats' }).click();
  await page.getByTestId('license-seats').getByText('0 of 5').waitFor();
  assert.equal((await api.get(`/v1/licenses/${license.id}`)).body.maxMachines, 5);
  await upgrade.locator('summary', { hasText: 'Change policy' }).click();
  await upgrade.getByLabel('New policy').selectOption({ label: 'Pro (timed)' });
  await upgrade.getByRole('button', { name: 'Change policy…' }).click();
  await page.getByText(/Move the license to Pro\?/).waitFor();
  await page.getByRole('button', { name: 'Yes, change policy' }).click();
  await page.getByRole('status').filter({ hasText: 'Moved to Pro' }).waitFor();
  await page.getByTestId('license-seats').getByText('0 of 10').waitFor();
  const moved = (await api.get(`/v1/licenses/${license.id}`)).body;
  assert.equal(moved.policyId, pro.id);
  assert.equal(moved.maxMachines, 10);
  assert.equal(moved.expiresAt, license.expiresAt, 'keep the expiry was checked');
  const history = (await api.get(`/v1/licenses/${license.id}/events`)).body.data.map((event: { action: string }) => event.action);
  for (const action of ['license.features_added', 'license.seats_added', 'license.policy_changed']) assert.ok(history.includes(action), action);
  await page.getByRole('heading', { name: 'Reminders sent' }).waitFor();
  await screenshot(page, 'console-license-upgrade');

  // A subscription: cancel (confirmed), then resume.
  const subscription = await factories.license(api, yearly.id, { customerId: acme.id, name: 'Acme yearly' });
  await page.goto(`${url}/console/licenses/${subscription.id}`);
  const section = page.getByRole('region', { name: 'Subscription' });
  await section.getByTestId('subscription-state').getByText(/Renews automatically on/).waitFor();
  assert.equal(await section.getByTestId('subscription-auto-renew').textContent(), 'on');
  await section.getByTestId('subscription-deadline').waitFor();
  await section.getByRole('button', { name: 'Cancel subscription…' }).click();
  await section.getByText('access continues until').waitFor();
  await section.getByRole('button', { name: 'Yes, cancel subscription' }).click();
  await section.getByTestId('subscription-state').getByText(/Cancelled: it will not renew and ends on/).waitFor();
  const cancelled = (await api.get(`/v1/licenses/${subscription.id}`)).body;
  assert.equal(cancelled.subscription.autoRenew, false);
  assert.ok(cancelled.subscription.cancelledAt);
  await section.getByRole('button', { name: 'Resume subscription' }).click();
  await section.getByTestId('subscription-state').getByText(/Renews automatically on/).waitFor();
  assert.equal((await api.get(`/v1/licenses/${subscription.id}`)).body.subscription.autoRenew, true);
  await section.getByRole('button', { name: 'Renew now' }).waitFor();
});

test('portal: a customer admin cancels its subscription and sees when it ends; a member sees the state only; a passed notice period is explained', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app } = j;
  const product = await factories.product(api, { name: 'Nimbus Cloud' });
  const yearly = await factories.policy(api, product.id, 'subscription', { name: 'Yearly', termMonths: 12, cancellationNoticeDays: 30 });
  const customer = await factories.customer(api, { name: 'Globex Ltd' });
  const yearlyLicense = await factories.license(api, yearly.id, { customerId: customer.id, name: 'Globex yearly' });
  // A term that ends in 10 days with 30 days' notice: the deadline has passed.
  const shortLicense = await factories.license(api, yearly.id, { customerId: customer.id, name: 'Globex short', expiresAt: new Date(app.clock.now().getTime() + 10 * DAY).toISOString() });

  // A phone-sized window: the portal must work there.
  const page = await j.newPage({ viewport: PHONE });
  const admin = await j.signInCustomer('customer-admin', customer.id, page);
  await page.getByRole('heading', { name: 'Globex Ltd: licenses' }).waitFor();
  await page.goto(`${url}/portal/licenses/${yearlyLicense.id}`);
  const section = page.getByRole('region', { name: 'Subscription' });
  await section.getByTestId('subscription-state').getByText(/Renews automatically on/).waitFor();
  await section.getByRole('button', { name: 'Cancel subscription…' }).click();
  await section.getByRole('button', { name: 'Yes, cancel subscription' }).click();
  const ends = await shownDate(page, yearlyLicense.expiresAt);
  await section.getByTestId('subscription-state').getByText(`ends on ${ends}`).waitFor();
  await section.getByRole('status').filter({ hasText: `ends on ${ends}` }).waitFor();
  assert.equal((await api.get(`/v1/licenses/${yearlyLicense.id}`)).body.subscription.autoRenew, false);
  await section.getByRole('button', { name: 'Resume subscription' }).waitFor();
  await screenshot(page, 'portal-subscription');

  // Past the notice deadline: no cancel button, and the page says why and what is possible.
  await page.goto(`${url}/portal/licenses/${shortLicense.id}`);
  const late = page.getByRole('region', { name: 'Subscription' });
  await late.getByTestId('notice-passed').getByText(/notice period for this term has passed/).waitFor();
  assert.equal(await late.getByRole('button', { name: /Cancel/ }).count(), 0);
  const refused = await api.call('POST', `/v1/licenses/${shortLicense.id}/actions/cancel-subscription`, {}, { authorization: `Bearer ${admin.token}` });
  assert.equal(refused.status, 422, 'the API refuses it too');

  // A member sees the state, no buttons.
  const memberPage = await j.newPage({ viewport: PHONE });
  await j.signInCustomer('customer-member', customer.id, memberPage);
  await memberPage.getByRole('heading', { name: 'Globex Ltd: licenses' }).waitFor();
  await memberPage.goto(`${url}/portal/licenses/${yearlyLicense.id}`);
  const memberSection = memberPage.getByRole('region', { name: 'Subscription' });
  await memberSection.getByTestId('subscription-state').getByText(`ends on ${ends}`).waitFor();
  await memberSection.getByText('An administrator of your organization can cancel or resume').waitFor();
  assert.equal(await memberSection.getByRole('button').count(), 0, 'no cancel or resume button for a member');
});
